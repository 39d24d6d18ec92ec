using SemCache;
using Xunit;

namespace SemCache.Core.Tests.Pricing;

public sealed class PricingTableTests
{
    [Fact]
    public void The_shipped_table_prices_a_gpt_4o_call_from_its_list_prices()
    {
        // gpt-4o: $2.50 input, $10 output, $1.25 cached input per million tokens.
        var cost = PricingTable.Default.CostOf("gpt-4o", inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 400_000);

        Assert.Equal((600_000 * 2.50 + 400_000 * 1.25 + 100_000 * 10.00) / 1e6, cost!.Value, 9);
        Assert.Equal("USD", PricingTable.Default.Currency);
    }

    [Theory]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("GPT-4o", "gpt-4o")]
    [InlineData("openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("azure:gpt-4.1-nano", "gpt-4.1-nano")]
    [InlineData("claude-sonnet-4-20250514", "claude-sonnet-4")]
    public void Dated_and_qualified_model_ids_take_the_longest_listed_prefix(string model, string listed)
    {
        Assert.True(PricingTable.Default.TryGetPrice(model, out var price));
        Assert.Equal(listed, price.Model);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("my-finetune")]
    [InlineData("gpt")]
    public void An_unknown_model_has_no_price_rather_than_a_zero_one(string? model)
    {
        Assert.False(PricingTable.Default.TryGetPrice(model, out _));
        Assert.Null(PricingTable.Default.CostOf(model, 10, 10));
    }

    [Fact]
    public void Cache_read_and_write_prices_default_to_the_input_price_and_overrides_replace_models()
    {
        var own = PricingTable.Parse("""{"currency":"USD","models":{"my-model":{"input":1,"output":2},"gpt-4o":{"input":5,"output":20,"cache_write":6}}}""");
        var table = PricingTable.Default.With(own);

        Assert.True(table.TryGetPrice("my-model", out var mine));
        Assert.Equal(1, mine.CachedInputPerMillion);
        Assert.Equal(1, mine.CacheWritePerMillion);
        Assert.True(table.TryGetPrice("gpt-4o", out var replaced));
        Assert.Equal(5, replaced.InputPerMillion);
        Assert.Equal((500_000 * 5 + 500_000 * 6) / 1e6, replaced.CostOf(1_000_000, 0, cacheWriteTokens: 500_000), 9);
        Assert.True(table.TryGetPrice("gpt-4o-mini", out _));
    }

    [Theory]
    [InlineData("[]", "JSON object")]
    [InlineData("""{"models":[]}""", "\"models\" object")]
    [InlineData("""{"models":{"m":{"output":1}}}""", "models.m.input")]
    [InlineData("""{"models":{"m":{"input":-1,"output":1}}}""", "models.m.input")]
    [InlineData("""{"models":{"m":{"input":"cheap","output":1}}}""", "models.m.input")]
    [InlineData("""{"models":{"m":{"input":1,"output":1,"cached_input":1e300}}}""", "models.m.cached_input")]
    [InlineData("""{"currency":"","models":{}}""", "currency")]
    [InlineData("{not json", "not valid JSON")]
    public void A_malformed_table_is_refused_with_a_message_naming_the_field(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PricingTable.Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tables_in_different_currencies_do_not_merge()
    {
        var euros = PricingTable.Parse("""{"currency":"EUR","models":{"m":{"input":1,"output":1}}}""");
        Assert.Throws<ArgumentException>(() => PricingTable.Default.With(euros));
    }

    [Fact]
    public void Cached_parts_larger_than_the_input_are_refused()
    {
        Assert.True(PricingTable.Default.TryGetPrice("gpt-4o", out var price));
        Assert.Throws<ArgumentOutOfRangeException>(() => price.CostOf(100, 0, cachedInputTokens: 80, cacheWriteTokens: 30));
        Assert.Throws<ArgumentOutOfRangeException>(() => price.CostOf(-1, 0));
    }
}
