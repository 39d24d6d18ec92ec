using Google.Protobuf.WellKnownTypes;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Client;

/// <summary>Between the prefix-index records and their semcache.v1 messages; the server maps with the same code.</summary>
internal static class PrefixProtoMapping
{
    public static V1.PromptInput ToProto(PrefixPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var message = new V1.PromptInput();
        if (prompt.TokenIds is not null) { message.TokenIds.AddRange(prompt.TokenIds); }
        if (prompt.Text is not null) { message.Text = prompt.Text; }
        if (prompt.System is not null) { message.System = prompt.System; }
        if (prompt.Extras is not null) { message.Extras = prompt.Extras; }
        if (prompt.Tools is not null) { message.Tools.AddRange(prompt.Tools); }
        foreach (var m in prompt.Messages ?? [])
        {
            var chat = new V1.ChatMessage { Role = m.Role, Content = m.Content };
            if (m.ImageDigests is not null) { chat.ImageDigests.AddRange(m.ImageDigests); }
            message.Messages.Add(chat);
        }

        return message;
    }

    public static PrefixPrompt FromProto(V1.PromptInput? message)
    {
        message ??= new V1.PromptInput();
        var extras = message.HasExtras ? message.Extras : null;
        if (message.Messages.Count > 0)
        {
            return new PrefixPrompt
            {
                Messages = [.. message.Messages.Select(m => new PrefixMessage(m.Role, m.Content, m.ImageDigests.Count > 0 ? [.. m.ImageDigests] : null))],
                System = message.HasSystem ? message.System : null,
                Tools = message.Tools.Count > 0 ? [.. message.Tools] : null,
                Extras = extras,
            };
        }

        // System and tools without messages are passed on so that validation names the mistake.
        return message.HasText
            ? new PrefixPrompt { Text = message.Text, Extras = extras, System = message.HasSystem ? message.System : null, Tools = message.Tools.Count > 0 ? [.. message.Tools] : null }
            : new PrefixPrompt { TokenIds = [.. message.TokenIds], Extras = extras, System = message.HasSystem ? message.System : null, Tools = message.Tools.Count > 0 ? [.. message.Tools] : null };
    }

    public static V1.PrefixBackend ToProto(PrefixBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var rules = backend.Rules ?? PrefixCacheRules.Engine;
        var message = new V1.PrefixBackend
        {
            Id = backend.Id,
            Kind = (V1.BackendKind)backend.Kind,
            Tokenizer = backend.Tokenizer,
            BlockSize = backend.BlockSize,
            Rules = new V1.PrefixCacheRules
            {
                MinCachedTokens = rules.MinCachedTokens,
                StepTokens = rules.StepTokens,
                RefreshOnHit = rules.RefreshOnHit,
                BillsCacheWrites = rules.BillsCacheWrites,
            },
        };
        if (rules.TimeToLive is { } ttl) { message.Rules.Ttl = Duration.FromTimeSpan(ttl); }
        if (backend.Model is not null) { message.Model = backend.Model; }
        return message;
    }

    public static PrefixBackend FromProto(V1.PrefixBackend? message)
    {
        if (message is null) { throw new ArgumentException("backend is required", nameof(message)); }
        var rules = message.Rules ?? new V1.PrefixCacheRules();
        TimeSpan? ttl = null;
        if (rules.Ttl is { } duration)
        {
            // Duration.ToTimeSpan throws on out-of-range values; a hostile duration is the caller's error.
            if (duration.Seconds is < 0 or > 366L * 24 * 3600) { throw new ArgumentException("backend.rules.ttl must be positive and at most a year", nameof(message)); }
            ttl = duration.ToTimeSpan();
        }

        return new PrefixBackend
        {
            Id = message.Id,
            Kind = (PrefixBackendKind)message.Kind,
            Tokenizer = string.IsNullOrEmpty(message.Tokenizer) ? PrefixTokenizers.O200kBase : message.Tokenizer,
            BlockSize = message.BlockSize == 0 ? 16 : message.BlockSize,
            Model = message.HasModel ? message.Model : null,
            Rules = new PrefixCacheRules
            {
                MinCachedTokens = rules.MinCachedTokens,
                StepTokens = rules.StepTokens == 0 ? 1 : rules.StepTokens,
                TimeToLive = ttl,
                RefreshOnHit = !rules.HasRefreshOnHit || rules.RefreshOnHit,
                BillsCacheWrites = rules.BillsCacheWrites,
            },
        };
    }

    public static V1.KvEventMessage ToProto(KvEvent e, string backendId)
    {
        ArgumentNullException.ThrowIfNull(e);
        var message = new V1.KvEventMessage { BackendId = backendId, Kind = (V1.KvEventKind)e.Kind };
        message.BlockHashes.AddRange(e.BlockHashes);
        message.TokenIds.AddRange(e.TokenIds);
        if (e.ParentBlockHash is { } parent) { message.ParentBlockHash = parent; }
        return message;
    }

    public static KvEvent FromProto(V1.KvEventMessage message) => new()
    {
        Kind = (KvEventKind)message.Kind,
        BlockHashes = [.. message.BlockHashes],
        ParentBlockHash = message.HasParentBlockHash ? message.ParentBlockHash : null,
        TokenIds = [.. message.TokenIds],
    };

    public static KvEventsResult FromProto(V1.KvEventsSummary message) =>
        new(message.Events, message.BlocksStored, message.BlocksRemoved, message.Pending, message.Dropped);

    public static V1.KvEventsSummary ToProto(KvEventsResult result) => new()
    {
        Events = result.Events,
        BlocksStored = result.BlocksStored,
        BlocksRemoved = result.BlocksRemoved,
        Pending = result.Pending,
        Dropped = result.Dropped,
    };

    public static V1.PrefixMatchRequest ToProto(PrefixMatchRequest request)
    {
        var message = new V1.PrefixMatchRequest { Prompt = ToProto(request.Prompt), ExpectedOutputTokens = request.ExpectedOutputTokens };
        if (request.Model is not null) { message.Model = request.Model; }
        foreach (var c in request.Candidates ?? []) { message.Candidates.Add(new V1.PrefixCandidate { BackendId = c.BackendId, Load = c.Load }); }
        return message;
    }

    public static PrefixMatchRequest FromProto(V1.PrefixMatchRequest message, string tenant) => new()
    {
        Tenant = tenant,
        Prompt = FromProto(message.Prompt),
        Candidates = [.. message.Candidates.Select(c => new PrefixCandidate(c.BackendId, c.Load))],
        Model = message.HasModel ? message.Model : null,
        ExpectedOutputTokens = message.ExpectedOutputTokens,
    };

    public static V1.PrefixMatchResponse ToProto(PrefixMatchResult result)
    {
        var message = new V1.PrefixMatchResponse();
        foreach (var b in result.Backends)
        {
            var row = new V1.BackendMatch
            {
                BackendId = b.BackendId,
                Known = b.Known,
                PromptTokens = b.PromptTokens,
                MatchedTokens = b.MatchedTokens,
                ExpectedCachedTokens = b.ExpectedCachedTokens,
                Load = b.Load,
                Score = b.Score,
            };
            if (b.CostWithoutCache is { } without) { row.CostWithoutCache = without; }
            if (b.CostWithCache is { } with) { row.CostWithCache = with; }
            if (b.Currency is not null) { row.Currency = b.Currency; }
            message.Backends.Add(row);
        }

        if (result.RecommendedBackend is not null) { message.RecommendedBackend = result.RecommendedBackend; }
        if (result.EstimatedSaving is { } saving) { message.EstimatedSaving = saving; }
        return message;
    }

    public static PrefixMatchResult FromProto(V1.PrefixMatchResponse message) => new()
    {
        Backends = [.. message.Backends.Select(b => new PrefixBackendMatch
        {
            BackendId = b.BackendId,
            Known = b.Known,
            PromptTokens = b.PromptTokens,
            MatchedTokens = b.MatchedTokens,
            ExpectedCachedTokens = b.ExpectedCachedTokens,
            Load = b.Load,
            Score = b.Score,
            CostWithoutCache = b.HasCostWithoutCache ? b.CostWithoutCache : null,
            CostWithCache = b.HasCostWithCache ? b.CostWithCache : null,
            Currency = b.HasCurrency ? b.Currency : null,
        })],
        RecommendedBackend = message.HasRecommendedBackend ? message.RecommendedBackend : null,
        EstimatedSaving = message.HasEstimatedSaving ? message.EstimatedSaving : null,
    };

    public static V1.ExplainPrefixResponse ToProto(PrefixExplanation e)
    {
        var message = new V1.ExplainPrefixResponse
        {
            Found = e.Found,
            PromptTokens = e.PromptTokens,
            MatchedTokens = e.MatchedTokens,
            DivergingBlock = e.DivergingBlock,
            DivergingToken = e.DivergingToken,
            CharOffset = e.CharOffset,
            Summary = e.Summary,
        };
        if (e.BackendId is not null) { message.BackendId = e.BackendId; }
        if (e.PreviousText is not null) { message.PreviousText = e.PreviousText; }
        if (e.CurrentText is not null) { message.CurrentText = e.CurrentText; }
        return message;
    }

    public static PrefixExplanation FromProto(V1.ExplainPrefixResponse message) => new()
    {
        Found = message.Found,
        BackendId = message.HasBackendId ? message.BackendId : null,
        PromptTokens = message.PromptTokens,
        MatchedTokens = message.MatchedTokens,
        DivergingBlock = message.DivergingBlock,
        DivergingToken = message.DivergingToken,
        CharOffset = message.CharOffset,
        PreviousText = message.HasPreviousText ? message.PreviousText : null,
        CurrentText = message.HasCurrentText ? message.CurrentText : null,
        Summary = message.Summary,
    };
}
