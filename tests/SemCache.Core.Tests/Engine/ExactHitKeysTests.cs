using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using SemCache.Engine;
using SemCache.Storage;
using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class ExactHitKeysTests
{
    [Fact]
    public void The_exact_key_is_sha256_over_the_canonical_encoding_that_stores_already_hold()
    {
        // The on-disk exact keys of existing stores were written with this encoding: 'e', then
        // length-prefixed (int32 little-endian) tenant, scope fingerprint, context fingerprint and
        // normalised prompt in UTF-8. Spelled out here so that any change to it fails.
        var scopeFp = ScopeKeys.ScopeFingerprint(Scope);
        var contextFp = new byte[ScopeKeys.HashSize];
        const string tenant = "acme";
        const string prompt = "Caf\u00e9 menu please";
        var expected = SHA256.HashData([.. "e"u8, .. Prefixed(Encoding.UTF8.GetBytes(tenant)), .. Prefixed(scopeFp), .. Prefixed(contextFp), .. Prefixed(Encoding.UTF8.GetBytes(prompt))]);

        Assert.Equal(expected, ScopeKeys.ExactKey(tenant, scopeFp, contextFp, prompt));
        Assert.Equal(expected, ScopeKeys.ExactHash(tenant, scopeFp, contextFp, prompt).ToArray());
    }

    [Fact]
    public void A_prompt_too_long_for_the_stack_gets_the_same_key_as_its_canonical_encoding()
    {
        var scopeFp = ScopeKeys.ScopeFingerprint(Scope);
        var contextFp = new byte[ScopeKeys.HashSize];
        var prompt = string.Concat(Enumerable.Repeat("long prompt \u00e9 ", 500));
        var expected = SHA256.HashData([.. "e"u8, .. Prefixed("t"u8.ToArray()), .. Prefixed(scopeFp), .. Prefixed(contextFp), .. Prefixed(Encoding.UTF8.GetBytes(prompt))]);

        Assert.Equal(expected, ScopeKeys.ExactHash("t", scopeFp, contextFp, prompt).ToArray());
    }

    [Fact]
    public void The_partition_key_is_the_first_128_bits_of_its_canonical_hash()
    {
        var scopeFp = ScopeKeys.ScopeFingerprint(Scope);
        var contextFp = new byte[ScopeKeys.HashSize];
        var h = SHA256.HashData([.. "p"u8, .. Prefixed("acme"u8.ToArray()), .. Prefixed(scopeFp), .. Prefixed(contextFp)]);

        Assert.Equal(
            new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(h), BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(8))),
            ScopeKeys.PartitionKey("acme", scopeFp, contextFp));
    }

    [Theory]
    [InlineData("What is the capital of France?")]
    [InlineData("  leading and trailing  ")]
    [InlineData("tabs\tand\nnew lines\r\n  here")]
    [InlineData("Caf\u00e9 menu")]
    [InlineData("Cafe\u0301 menu")]
    [InlineData("")]
    [InlineData("   ")]
    public void Comparing_without_normalising_agrees_with_normalising_first(string stored)
    {
        string[] queries = ["What is the capital of France?", "leading and trailing", "tabs and new lines here", "Caf\u00e9 menu", "Cafe menu", "", "Caf\u00e9  menu", "What is the capital of France"];
        foreach (var query in queries)
        {
            var normalizedQuery = ScopeKeys.NormalizePrompt(query);
            var expected = string.Equals(ScopeKeys.NormalizePrompt(stored), normalizedQuery, StringComparison.Ordinal);
            Assert.Equal(expected, ScopeKeys.NormalizesTo(stored, normalizedQuery));
        }
    }

    [Fact]
    public void An_already_normal_prompt_is_returned_as_it_is()
    {
        const string prompt = "Already normal, with single spaces.";

        Assert.Same(prompt, ScopeKeys.NormalizePrompt(prompt));
        Assert.Equal("collapsed runs", ScopeKeys.NormalizePrompt(" collapsed \t runs\n"));
    }

    [Fact]
    public void The_scope_fingerprint_cache_holds_at_most_its_capacity()
    {
        var cache = new ScopeFingerprintCache(capacity: 8);
        for (var i = 0; i < 100; i++)
        {
            var scope = new CacheScope { Model = $"model-{i}" };
            Assert.Equal(ScopeKeys.ScopeFingerprint(scope), cache.Get(scope));
            Assert.InRange(cache.Count, 1, 8);
        }
    }

    [Fact]
    public void The_scope_fingerprint_cache_answers_by_content_and_keeps_its_own_copy_of_the_lists()
    {
        var cache = new ScopeFingerprintCache(capacity: 16);
        var tools = new List<string> { "search", "calc" };
        var extra = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Locale"] = "fr" };
        var first = cache.Get(new CacheScope { Model = "m", Tools = tools, Extra = extra });

        // Same content in new objects: the cached fingerprint.
        Assert.Same(first, cache.Get(new CacheScope { Model = "m", Tools = ["search", "calc"], Extra = new Dictionary<string, string> { ["Locale"] = "fr" } }));

        // The caller changing its lists afterwards must not change what the cached entry matches.
        tools.Add("browse");
        extra["Locale"] = "de";
        var changed = new CacheScope { Model = "m", Tools = tools, Extra = extra };
        Assert.Equal(ScopeKeys.ScopeFingerprint(changed), cache.Get(changed));
        Assert.NotEqual(first, cache.Get(changed));

        // A key differing only in case is another scope, even when the caller's dictionary ignores case.
        var otherCase = new CacheScope { Model = "m", Tools = ["search", "calc"], Extra = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["locale"] = "fr" } };
        Assert.Equal(ScopeKeys.ScopeFingerprint(otherCase), cache.Get(otherCase));
        Assert.NotEqual(first, cache.Get(otherCase));
    }

    [Fact]
    public async Task An_exact_hit_still_requires_the_same_scope_and_tenant()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "What is the capital of France?", "Paris"));

        var hit = await cache.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });
        var otherScope = await cache.LookupAsync(Lookup("acme", "What is the capital of France?", Scope with { SystemPrompt = "You are terse." }) with { Mode = CacheLookupMode.ExactOnly });
        var otherTenant = await cache.LookupAsync(Lookup("globex", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(CacheHitKind.Exact, hit.Kind);
        Assert.Equal(["exact"], hit.Reasons);
        Assert.Equal(CacheHitKind.Miss, otherScope.Kind);
        Assert.Equal(CacheHitKind.Miss, otherTenant.Kind);
    }

    [Fact]
    public async Task The_store_serves_an_entry_only_when_the_filter_accepts_its_fields()
    {
        await using var store = SmallStore();
        var entry = new CacheEntryRecord
        {
            Id = 7,
            Tenant = "acme",
            ScopeFingerprint = new byte[32],
            ContextFingerprint = new byte[32],
            PartitionKey = 1,
            ExactKey = new byte[32],
            Prompt = "stored prompt",
            Response = "the answer",
            EarlierResponses = ["older"],
            Tags = [],
            CreatedUtcTicks = 1,
            ExpiresUtcTicks = 0,
            Vector = [1f, 0f],
        };
        await store.PutAsync(entry, CancellationToken.None);

        var accepted = store.TryServe(7, "stored prompt", PromptIs, out var response, out var earlier);
        var rejected = store.TryServe(7, "another prompt", PromptIs, out _, out _);
        var missing = store.TryServe(8, "stored prompt", PromptIs, out _, out _);

        Assert.Equal(ServeRead.Accepted, accepted);
        Assert.Equal("the answer", response);
        Assert.Equal(["older"], earlier);
        Assert.Equal(ServeRead.Rejected, rejected);
        Assert.Equal(ServeRead.Missing, missing);

        static bool PromptIs(in EntryView view, in string prompt) => view.Prompt.SequenceEqual(Encoding.UTF8.GetBytes(prompt));
    }

    [Fact]
    public async Task An_exact_hit_of_a_stored_prompt_with_white_space_runs_still_matches_its_normal_form()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "  several   spaces	here ", "r1"));

        var result = await cache.LookupAsync(Lookup("acme", "several spaces here") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(CacheHitKind.Exact, result.Kind);
        Assert.Equal("r1", result.Response);
    }

    private static byte[] Prefixed(byte[] value)
    {
        var result = new byte[sizeof(int) + value.Length];
        BinaryPrimitives.WriteInt32LittleEndian(result, value.Length);
        value.CopyTo(result, sizeof(int));
        return result;
    }
}
