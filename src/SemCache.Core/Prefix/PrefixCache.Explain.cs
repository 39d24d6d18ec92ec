namespace SemCache.Prefix;

internal sealed partial class PrefixCache
{
    public ValueTask<PrefixExplanation> ExplainAsync(PrefixExplainRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateTenant(request.Tenant);
        PromptTokenizer.Validate(request.Prompt, _options.MaxPromptTokens, "prompt");
        if (request.BackendId is not null) { ValidateId(request.BackendId, "backend_id"); }
        cancellationToken.ThrowIfCancellationRequested();

        RoutedPrompt[] history = [];
        if (TenantFor(request.Tenant, create: false) is { } state)
        {
            lock (state.Gate) { history = [.. state.History]; }
        }

        // Newest first, so among equally long matches the most recent prompt explains the miss.
        var tokenized = new Dictionary<string, TokenizedPrompt>(StringComparer.Ordinal);
        RoutedPrompt? best = null;
        TokenizedPrompt? bestTokens = null;
        var bestShared = -1;
        for (var i = history.Length - 1; i >= 0; i--)
        {
            var routed = history[i];
            if (request.BackendId is not null && routed.BackendId != request.BackendId) { continue; }
            var key = request.Prompt.TokenIds is not null ? PrefixTokenizers.Caller : routed.Tokenizer;
            if (!tokenized.TryGetValue(key, out var tokens))
            {
                tokenized[key] = tokens = PromptTokenizer.Tokenize(request.Prompt, routed.Tokenizer);
            }

            var shared = routed.Tokens.AsSpan().CommonPrefixLength(tokens.Tokens);
            if (shared > bestShared)
            {
                (best, bestTokens, bestShared) = (routed, tokens, shared);
            }
        }

        if (best is null)
        {
            return ValueTask.FromResult(new PrefixExplanation
            {
                Summary = _options.ExplainHistoryPerTenant == 0
                    ? "no routed prompts are kept (ExplainHistoryPerTenant is 0), so there is nothing to compare with"
                    : "no prompt has been reported as routed" + (request.BackendId is null ? string.Empty : $" to '{request.BackendId}'") + " yet",
            });
        }

        var previous = new TokenizedPrompt(best.Tokens, best.Text, null);
        return ValueTask.FromResult(PrefixExplainer.Compare(previous, bestTokens!, best.BlockSize, best.BackendId));
    }
}
