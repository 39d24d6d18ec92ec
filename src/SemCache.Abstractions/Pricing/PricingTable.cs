using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace SemCache;

/// <summary>
/// The one pricing table of the product: per model, input, output, cache-read and cache-write prices per million
/// tokens. Cost accounting, money-saved figures and prefix-cache savings estimates all read it, so a price is changed
/// in one place. <see cref="Default"/> carries providers' list prices (shipped inside the assembly); load your own
/// file for billing-grade figures.
/// </summary>
/// <remarks>
/// File format (JSON): <c>{"currency":"USD","models":{"gpt-4o":{"input":2.5,"output":10,"cached_input":1.25,"cache_write":2.5}}}</c>.
/// <c>cached_input</c> and <c>cache_write</c> are optional and default to the input price. Model ids are matched
/// case-insensitively; a dated or provider-qualified id (<c>openai/gpt-4o-2024-08-06</c>) falls back to the longest
/// listed id that is a prefix of it at a '-' boundary (<c>gpt-4o</c>), so <c>gpt-4o-mini</c> never takes
/// <c>gpt-4o</c>'s price when it is listed itself.
/// </remarks>
public sealed class PricingTable
{
    /// <summary>The largest pricing file accepted; a table is a few kilobytes, so anything larger is a mistake.</summary>
    public const int MaxFileBytes = 4 << 20;

    /// <summary>The most models one table may list.</summary>
    public const int MaxModels = 10_000;

    private static readonly Lazy<PricingTable> DefaultTable = new(LoadDefault);

    private readonly FrozenDictionary<string, ModelPrice> _prices;

    private PricingTable(string currency, Dictionary<string, ModelPrice> prices)
    {
        Currency = currency;
        _prices = prices.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>List prices of common models, shipped with SemCache.</summary>
    public static PricingTable Default => DefaultTable.Value;

    /// <summary>Currency of every price (ISO 4217).</summary>
    public string Currency { get; }

    /// <summary>The listed models, in no particular order.</summary>
    public IEnumerable<ModelPrice> Models => _prices.Values;

    /// <summary>Finds the price of <paramref name="model"/>: exact id first, then the longest listed prefix at a '-' boundary.</summary>
    public bool TryGetPrice(string? model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
    {
        price = null;
        if (string.IsNullOrWhiteSpace(model)) { return false; }

        // "openai/gpt-4o" and "azure:gpt-4o" name the same model as "gpt-4o".
        var span = model.AsSpan().Trim();
        var qualifier = span.LastIndexOfAny('/', ':');
        if (qualifier >= 0) { span = span[(qualifier + 1)..]; }

        var lookup = _prices.GetAlternateLookup<ReadOnlySpan<char>>();
        while (!span.IsEmpty)
        {
            if (lookup.TryGetValue(span, out price)) { return true; }
            var dash = span.LastIndexOf('-');
            if (dash <= 0) { return false; }
            span = span[..dash];
        }

        return false;
    }

    /// <summary>
    /// The cost of a call to <paramref name="model"/>, or null when the model is not listed (an unknown price is not
    /// zero: callers report it as unknown rather than as free).
    /// </summary>
    public double? CostOf(string? model, long inputTokens, long outputTokens, long cachedInputTokens = 0, long cacheWriteTokens = 0) =>
        TryGetPrice(model, out var price) ? price.CostOf(inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens) : null;

    /// <summary>A table with this table's prices, replaced or extended by <paramref name="overrides"/> (which must use the same currency).</summary>
    /// <exception cref="ArgumentException">The currencies differ.</exception>
    public PricingTable With(PricingTable overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        if (!string.Equals(Currency, overrides.Currency, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Cannot merge a {overrides.Currency} pricing table into a {Currency} one.", nameof(overrides));
        }

        var merged = new Dictionary<string, ModelPrice>(_prices, StringComparer.OrdinalIgnoreCase);
        foreach (var (id, price) in overrides._prices) { merged[id] = price; }
        return new PricingTable(Currency, merged);
    }

    /// <summary>Reads a pricing file.</summary>
    /// <exception cref="FormatException">The file is not a valid pricing table; the message names the field.</exception>
    public static PricingTable Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var info = new FileInfo(path);
        if (!info.Exists) { throw new FileNotFoundException($"Pricing file '{info.FullName}' does not exist.", info.FullName); }
        if (info.Length > MaxFileBytes) { throw new FormatException($"Pricing file '{info.FullName}' is {info.Length} bytes; at most {MaxFileBytes} are accepted."); }
        return Parse(File.ReadAllText(info.FullName));
    }

    /// <summary>Parses a pricing table from JSON text.</summary>
    /// <exception cref="FormatException">The text is not a valid pricing table; the message names the field.</exception>
    public static PricingTable Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { throw new FormatException("A pricing table is a JSON object with \"currency\" and \"models\"."); }
            var currency = root.TryGetProperty("currency", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "USD";
            if (currency.Length is < 1 or > 8) { throw new FormatException($"\"currency\" must be a short code such as USD, not '{currency}'."); }
            if (!root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A pricing table needs a \"models\" object: {\"gpt-4o\": {\"input\": 2.5, \"output\": 10}}.");
            }

            var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
            foreach (var model in models.EnumerateObject())
            {
                if (prices.Count == MaxModels) { throw new FormatException($"A pricing table lists at most {MaxModels} models."); }
                var id = model.Name.Trim();
                if (id.Length is 0 or > 256) { throw new FormatException($"Model id '{model.Name}' must be 1 to 256 characters."); }
                if (model.Value.ValueKind != JsonValueKind.Object) { throw new FormatException($"models.{id} must be an object with \"input\" and \"output\" prices."); }
                var input = Price(model.Value, id, "input", null);
                prices[id] = new ModelPrice
                {
                    Model = id,
                    InputPerMillion = input,
                    OutputPerMillion = Price(model.Value, id, "output", null),
                    CachedInputPerMillion = Price(model.Value, id, "cached_input", input),
                    CacheWritePerMillion = Price(model.Value, id, "cache_write", input),
                    Currency = currency,
                };
            }

            return new PricingTable(currency, prices);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Pricing table is not valid JSON: {e.Message}", e);
        }
    }

    private static double Price(JsonElement model, string id, string field, double? fallback)
    {
        if (!model.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback ?? throw new FormatException($"models.{id}.{field} is required (price per million tokens).");
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var price) || !double.IsFinite(price) || price < 0 || price > 1_000_000)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"models.{id}.{field} must be a price per million tokens between 0 and 1,000,000, not {value.GetRawText()}."));
        }

        return price;
    }

    private static PricingTable LoadDefault()
    {
        using var stream = typeof(PricingTable).Assembly.GetManifestResourceStream("SemCache.Pricing.pricing.json")
            ?? throw new InvalidOperationException("The built-in pricing table is missing from SemCache.Abstractions.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }
}
