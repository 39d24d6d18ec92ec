namespace SemCache.Accounting;

/// <summary>Checks the cost-accounting options (pricing file, budgets, line limit); every failure names the option.</summary>
internal static class AccountingOptions
{
    public static IEnumerable<string> Failures(SemanticCacheOptions o)
    {
        const string P = nameof(SemanticCacheOptions) + ".";
        if (o.MaxCostLines is < 1 or > 1_000_000) { yield return P + nameof(o.MaxCostLines) + $" must be from 1 to 1,000,000 (was {o.MaxCostLines})."; }
        if (!string.IsNullOrWhiteSpace(o.PricingFile))
        {
            string? failure = null;
            try
            {
                _ = CostLedger.LoadPricing(o.PricingFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
            {
                failure = P + nameof(o.PricingFile) + $" '{o.PricingFile}' cannot be used: {e.Message}";
            }

            if (failure is not null) { yield return failure; }
        }

        foreach (var (name, b) in o.Budgets)
        {
            var at = $"{P}{nameof(o.Budgets)}[{name}]";
            if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                yield return at + " is not a valid budget name: use 1 to 64 ASCII letters, digits, '-', '_' or '.'.";
            }

            if (b is null) { yield return at + " is null."; continue; }
            if (b.MaxSpend is null && b.MinHitRate is null) { yield return at + " sets neither MaxSpend nor MinHitRate: it would never alert."; }
            if (b.MaxSpend is { } max && !(double.IsFinite(max) && max >= 0)) { yield return at + $".MaxSpend must be a finite, non-negative amount (was {max})."; }
            if (b.MinHitRate is { } floor && !(double.IsFinite(floor) && floor is >= 0 and <= 1)) { yield return at + $".MinHitRate must be from 0 to 1 (was {floor})."; }
            if (b.MinLookups is < 1 or > 100_000_000) { yield return at + $".MinLookups must be from 1 to 100,000,000 (was {b.MinLookups})."; }
            if (b.Window < TimeSpan.FromMinutes(1) || b.Window > TimeSpan.FromDays(366)) { yield return at + $".Window must be from 1 minute to 366 days (was {b.Window})."; }
            if (b.Feature is { Length: 0 or > CostLedger.MaxFeatureLength }) { yield return at + $".Feature must be 1 to {CostLedger.MaxFeatureLength} characters when set."; }
            if (b.Tenant is { Length: 0 or > 128 }) { yield return at + ".Tenant must be 1 to 128 characters when set."; }
        }
    }
}
