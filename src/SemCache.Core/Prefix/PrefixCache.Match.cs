using System.Text;

namespace SemCache.Prefix;

internal sealed partial class PrefixCache
{
    /// <summary>Tokens kept per remembered prompt for the explainer: divergences that matter are early, and memory is bounded.</summary>
    internal const int ExplainTokensKept = 16_384;

    public ValueTask<PrefixMatchResult> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateTenant(request.Tenant);
        PromptTokenizer.Validate(request.Prompt, _options.MaxPromptTokens, "prompt");
        var candidates = request.Candidates ?? throw new ArgumentException("candidates must not be null", nameof(request));
        if (candidates.Count > _options.MaxBackendsPerTenant)
        {
            throw new ArgumentException($"{candidates.Count} candidates; at most MaxBackendsPerTenant ({_options.MaxBackendsPerTenant})", nameof(request));
        }

        if (request.ExpectedOutputTokens < 0) { throw new ArgumentException("expected_output_tokens must not be negative", nameof(request)); }
        if (request.Model is { Length: > PrefixBackend.MaxIdLength }) { throw new ArgumentException($"model is longer than {PrefixBackend.MaxIdLength} characters", nameof(request)); }
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i] ?? throw new ArgumentException($"candidates[{i}] is null", nameof(request));
            ValidateId(c.BackendId, $"candidates[{i}].backend_id");
            if (!double.IsFinite(c.Load) || c.Load < 0) { throw new ArgumentException($"candidates[{i}].load must be a finite number ≥ 0, not {c.Load}", nameof(request)); }
        }

        cancellationToken.ThrowIfCancellationRequested();
        _telemetry.Matches.Add(1);
        return ValueTask.FromResult(Match(request, candidates));
    }

    public ValueTask<PrefixUsageResult> ReportUsageAsync(PrefixUsageReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ValidateTenant(report.Tenant);
        ValidateId(report.BackendId, "backend_id");
        PromptTokenizer.Validate(report.Prompt, _options.MaxPromptTokens, "prompt");
        if (report.CachedTokensReported is < 0) { throw new ArgumentException("cached_tokens_reported must not be negative", nameof(report)); }
        cancellationToken.ThrowIfCancellationRequested();
        var backend = RequireBackend(report.Tenant, report.BackendId);
        var info = backend.Info;
        var hashes = new PromptHashes(report.Prompt, _options.HashAlgorithm);
        var tokens = hashes.Tokens(info.Tokenizer);
        var keys = hashes.Keys(info.Tokenizer, info.BlockSize, backend.Seed);
        var now = _time.GetUtcNow().UtcTicks;
        int predicted;
        lock (backend.Gate)
        {
            predicted = ExpectedCached(backend.Blocks.MatchedBlocks(keys, now) * info.BlockSize, tokens.Tokens.Length, info.Rules);

            // After the request the backend holds what its rules let it cache: engines every whole block, providers
            // the prompt's cacheable length (minimum, steps) for the TTL.
            var blocks = Cacheable(tokens.Tokens.Length, info.Rules) / info.BlockSize;
            var expires = info.Rules.TimeToLive is { } ttl ? now + ttl.Ticks : 0;
            backend.Blocks.HoldChain(-1, keys.AsSpan(0, blocks), [], now, expires, info.Rules.RefreshOnHit, backend.Path);
        }

        Remember(report.Tenant, info, tokens);
        _telemetry.Predicted.Add(predicted);
        if (report.CachedTokensReported is { } reported)
        {
            _telemetry.Reported.Add(reported);
            _telemetry.Error.Record(reported - predicted);
        }

        return ValueTask.FromResult(new PrefixUsageResult(tokens.Tokens.Length, predicted, report.CachedTokensReported));
    }

    /// <summary>Tokens a backend is expected to read from its cache given the matched prefix (minimum length, step size).</summary>
    internal static int ExpectedCached(int matchedTokens, int promptTokens, PrefixCacheRules rules)
    {
        if (matchedTokens <= 0 || matchedTokens < rules.MinCachedTokens || promptTokens < rules.MinCachedTokens) { return 0; }
        return Math.Min(matchedTokens, promptTokens) / rules.StepTokens * rules.StepTokens;
    }

    /// <summary>Tokens of a prompt a backend caches after serving it.</summary>
    internal static int Cacheable(int promptTokens, PrefixCacheRules rules) =>
        promptTokens < rules.MinCachedTokens ? 0 : promptTokens / rules.StepTokens * rules.StepTokens;

    private PrefixMatchResult Match(PrefixMatchRequest request, IReadOnlyList<PrefixCandidate> candidates)
    {
        var state = TenantFor(request.Tenant, create: false);
        var backends = new List<(PrefixCandidate Candidate, BackendState? State)>(candidates.Count);
        if (state is not null)
        {
            lock (state.Gate)
            {
                if (candidates.Count == 0)
                {
                    backends.AddRange(state.Backends.Values.Select(b => (new PrefixCandidate(b.Info.Id), (BackendState?)b)));
                }
                else
                {
                    backends.AddRange(candidates.Select(c => (c, state.Backends.GetValueOrDefault(c.BackendId))));
                }
            }
        }
        else
        {
            backends.AddRange(candidates.Select(c => (c, (BackendState?)null)));
        }

        var hashes = new PromptHashes(request.Prompt, _options.HashAlgorithm);
        var now = _time.GetUtcNow().UtcTicks;
        var rows = new PrefixBackendMatch[backends.Count];
        var best = -1;
        for (var i = 0; i < rows.Length; i++)
        {
            var (candidate, backend) = backends[i];
            if (backend is null)
            {
                rows[i] = new PrefixBackendMatch { BackendId = candidate.BackendId, Load = candidate.Load, Score = double.PositiveInfinity };
                continue;
            }

            var info = backend.Info;
            var promptTokens = hashes.Tokens(info.Tokenizer).Tokens.Length;
            var keys = hashes.Keys(info.Tokenizer, info.BlockSize, backend.Seed);
            int matchedBlocks;
            lock (backend.Gate) { matchedBlocks = backend.Blocks.MatchedBlocks(keys, now); }
            var matched = matchedBlocks * info.BlockSize;
            var expected = ExpectedCached(matched, promptTokens, info.Rules);

            // Dynamo's routing cost: the share of the prompt to prefill, weighted, plus the candidate's load.
            var score = (_options.OverlapWeight * (promptTokens - expected) / Math.Max(1, promptTokens)) + candidate.Load;
            double? without = null, with = null;
            string? currency = null;
            if (_pricing.TryGetPrice(info.Model ?? request.Model, out var price))
            {
                without = price.CostOf(promptTokens, request.ExpectedOutputTokens);
                var written = info.Rules.BillsCacheWrites ? Math.Max(0, Cacheable(promptTokens, info.Rules) - expected) : 0;
                with = price.CostOf(promptTokens, request.ExpectedOutputTokens, expected, written);
                currency = price.Currency;
            }

            rows[i] = new PrefixBackendMatch
            {
                BackendId = info.Id,
                Known = true,
                PromptTokens = promptTokens,
                MatchedTokens = matched,
                ExpectedCachedTokens = expected,
                Load = candidate.Load,
                Score = score,
                CostWithoutCache = without,
                CostWithCache = with,
                Currency = currency,
            };
            if (best < 0 || score < rows[best].Score || (score == rows[best].Score && expected > rows[best].ExpectedCachedTokens)) { best = i; }
        }

        return new PrefixMatchResult
        {
            Backends = rows,
            RecommendedBackend = best >= 0 ? rows[best].BackendId : null,
            EstimatedSaving = best >= 0 && rows[best].CostWithoutCache is { } w && rows[best].CostWithCache is { } c ? w - c : null,
        };
    }

    private void Remember(string tenant, PrefixBackend info, TokenizedPrompt tokens)
    {
        if (_options.ExplainHistoryPerTenant == 0 || TenantFor(tenant, create: false) is not { } state) { return; }
        var kept = tokens.Tokens.Length <= ExplainTokensKept ? tokens.Tokens : tokens.Tokens[..ExplainTokensKept];
        var text = tokens.Text is { Length: > 4 * ExplainTokensKept } t ? t[..(4 * ExplainTokensKept)] : tokens.Text;
        lock (state.Gate)
        {
            state.History.AddLast(new RoutedPrompt(info.Id, info.Tokenizer, info.BlockSize, kept, text));
            while (state.History.Count > _options.ExplainHistoryPerTenant) { state.History.RemoveFirst(); }
        }
    }

    /// <summary>One prompt's tokens per tokenizer and chained keys per (tokenizer, block size), computed once per request.</summary>
    private sealed class PromptHashes(PrefixPrompt prompt, PrefixHashAlgorithm algorithm, bool withOffsets = false)
    {
        private readonly Dictionary<string, TokenizedPrompt> _tokens = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, int), UInt128[]> _keys = [];
        private readonly byte[] _extras = prompt.Extras is null ? [] : Encoding.UTF8.GetBytes(prompt.Extras);
        private string? _lastTokenizer;
        private int _lastBlockSize;
        private UInt128[]? _lastKeys;
        private string? _lastTokenTokenizer;
        private TokenizedPrompt? _lastToken;

        public TokenizedPrompt Tokens(string tokenizer)
        {
            if (_lastToken is not null && (prompt.TokenIds is not null || ReferenceEquals(tokenizer, _lastTokenTokenizer))) { return _lastToken; }
            // Caller token ids are the same for every backend.
            var id = prompt.TokenIds is not null ? PrefixTokenizers.Caller : tokenizer;
            if (!_tokens.TryGetValue(id, out var tokens)) { _tokens[id] = tokens = PromptTokenizer.Tokenize(prompt, tokenizer, withOffsets); }
            (_lastTokenTokenizer, _lastToken) = (tokenizer, tokens);
            return tokens;
        }

        public UInt128[] Keys(string tokenizer, int blockSize, in PrefixSeed seed)
        {
            // Candidates mostly share one tokenizer and block size: skip the string hashing of the lookup for them.
            if (_lastKeys is not null && ReferenceEquals(tokenizer, _lastTokenizer) && blockSize == _lastBlockSize) { return _lastKeys; }
            if (!_keys.TryGetValue((tokenizer, blockSize), out var keys))
            {
                var tokens = Tokens(tokenizer).Tokens;
                keys = new UInt128[PrefixHashing.BlockCount(tokens.Length, blockSize)];
                PrefixHashing.ChainKeys(tokens, blockSize, seed, _extras, algorithm, keys);
                _keys[(tokenizer, blockSize)] = keys;
            }

            (_lastTokenizer, _lastBlockSize, _lastKeys) = (tokenizer, blockSize, keys);
            return keys;
        }
    }
}
