using SemCache.Eviction;
using SemCache.Partitions;
using SemCache.Storage;
using SemCache.Vectors;
using SemCache.Verification;

namespace SemCache.Engine;

internal sealed partial class SemanticCache
{
    public async ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        using var activity = Telemetry.SemCacheTelemetry.ActivitySource.StartActivity(Telemetry.SemCacheTelemetry.StoreSpan);
        ArgumentNullException.ThrowIfNull(request);
        RequestValidator.Tenant(request.Tenant);
        _validator.Scope(request.Scope);
        _validator.Context(request.Context);
        _validator.Prompt(request.Prompt, required: true);
        _validator.Response(request.Response);
        _validator.Tags(request.Tags);
        _validator.TimeToLive(request.TimeToLive);
        RequestValidator.Usage(request.Usage);
        Accounting.CostLedger.ValidateFeature(request.Feature);
        float[] vector;
        if (request.Vector is { } given)
        {
            vector = new float[_options.Dimensions];
            _validator.Vector(given.Span, vector);
        }
        else if (_embedder is not null)
        {
            vector = await EmbedAsync(request.Prompt, "Prompt", cancellationToken);
        }
        else
        {
            throw new ArgumentException("This cache has no embedder (RequestsBringVectors is set): the store request must carry a Vector.", "Vector");
        }

        var keys = ComputeKeys(request.Tenant, request.Scope, request.Context, request.Prompt, createTenant: true);
        var fill = new CacheFill { Response = request.Response, Tags = request.Tags, TimeToLive = request.TimeToLive, Usage = Priced(request.Scope, request.Usage) };
        var stored = await StoreCoreAsync(request.Prompt, keys, vector, fill, KeepsSeveralAnswers(request.Scope), cancellationToken);
        RecordCosts(request.Tenant, request.Feature, request.Scope, fill.Usage, request.CallDuration);
        return stored;
    }

    /// <summary>Sampled requests may keep several answers per prompt; deterministic ones keep one.</summary>
    private bool KeepsSeveralAnswers(CacheScope scope) => _options.MaxAnswersPerPrompt > 1 && scope.Sampling?.Temperature > 0;

    private async ValueTask<CacheStoreResult> StoreCoreAsync(string prompt, RequestKeys keys, float[] vector, CacheFill fill, bool keepEarlierAnswers, CancellationToken cancellationToken)
    {
        var tenant = keys.Tenant!;
        var exactKey = keys.ExactKey!.Value.ToArray();
        var now = NowTicks;
        var ttl = fill.TimeToLive ?? _options.DefaultTimeToLive;
        var tags = fill.Tags is { Count: > 0 } t ? t.Distinct(StringComparer.Ordinal).ToArray() : [];
        var analysis = _verifier.Options.Enabled ? PromptAnalysis.Analyze(prompt) : null;

        // Stores of the same exact key are ordered, so the newest id always wins in memory and in
        // the store's exact-key record; stores of different keys proceed in parallel and share commits.
        var stripe = _storeStripes[(int)(Key128(exactKey) % StoreStripes)];
        await stripe.WaitAsync(cancellationToken);
        long replaced;
        long id;
        try
        {
            ThrowIfDisposed();
            id = Interlocked.Increment(ref _nextId);
            var earlier = keepEarlierAnswers ? EarlierAnswers(keys) : [];
            var record = new CacheEntryRecord
            {
                Id = id,
                Tenant = tenant.Name,
                ScopeFingerprint = keys.ScopeFingerprint,
                ContextFingerprint = keys.ContextFingerprint,
                PartitionKey = keys.PartitionKey,
                ExactKey = exactKey,
                Prompt = prompt,
                Response = fill.Response,
                EarlierResponses = earlier,
                Tags = tags,
                CreatedUtcTicks = now,
                ExpiresUtcTicks = ttl is { } life ? now + life.Ticks : 0,
                InputTokens = fill.Usage?.InputTokens ?? 0,
                OutputTokens = fill.Usage?.OutputTokens ?? 0,
                Cost = fill.Usage?.Cost ?? 0,
                Vector = vector,
            };

            // Once the write has started it is finished: a cancelled caller must not leave a
            // record on disk that memory does not know about.
            // The store's exact-key record is the one exact index: what it names before the put is
            // what this store replaces (stores of one key are ordered by the stripe held here).
            replaced = _store.TryGetExact(exactKey, out var previous) ? previous : 0;
            await _store.PutAsync(record, CancellationToken.None);
            Apply(record, tenant, analysis);
            RememberExact(keys, id);
            if (replaced != 0) { await RemoveAsync([replaced], RemovalReason.Replaced, CancellationToken.None); }
        }
        finally
        {
            stripe.Release();
        }

        await LabelFromStoreAsync(keys, prompt, fill.Response, cancellationToken);
        Interlocked.Increment(ref tenant.Stores);
        _telemetry.Stores.Add(1);
        Log.Stored(_logger, id, tenant.Name);
        if (_options.LogSensitiveData) { Log.StoredSensitive(_logger, id, prompt); }
        await EnforceCapacityAsync(tenant, cancellationToken);
        return new CacheStoreResult(id, replaced != 0);
    }

    /// <summary>
    /// The answers of the live entry for the same prompt, newest first, that the new store keeps
    /// beside its own (at most <see cref="SemanticCacheOptions.MaxAnswersPerPrompt"/> in all). Runs
    /// under the key's store stripe, so no other store of the prompt interleaves.
    /// </summary>
    private string[] EarlierAnswers(RequestKeys keys)
    {
        Span<byte> exactKey = stackalloc byte[ScopeKeys.HashSize];
        keys.ExactKey!.Value.CopyTo(exactKey);
        if (!_store.TryGetExact(exactKey, out var previous)) { return []; }
        if (!_entries.TryGetValue(previous, out var meta) || meta.IsExpired(NowTicks) || !TryReadRecord(meta, out var record)
            || !SamePrompt(record, keys))
        {
            return [];
        }

        return [.. new[] { record.Response }.Concat(record.EarlierResponses).Take(_options.MaxAnswersPerPrompt - 1)];
    }

    /// <summary>
    /// Adds a stored record to memory: entry map, lists, tags, expiry queue, index. Which entry answers a
    /// prompt exactly is the store's exact-key record, not a second map here.
    /// <para>
    /// <paramref name="previous"/> is the entry's own memory before a failed removal (<see cref="Restore"/>):
    /// its error-budget state, feedback boost and hit counts come back as they were, and its labels are
    /// not learned again.
    /// </para>
    /// </summary>
    private void Apply(CacheEntryRecord record, TenantState tenant, PromptAnalysis? analysis, EntryMeta? previous = null)
    {
        var meta = new EntryMeta
        {
            Id = record.Id,
            Tenant = tenant,
            PartitionKey = record.PartitionKey,
            Tags = record.Tags.Count == 0 ? [] : record.Tags as string[] ?? [.. record.Tags],
            Size = record.SizeInBytes + EntryCost.MetadataBytes + (record.Tags.Count * EntryCost.TagBytes) + (record.Vector is null ? 0 : _vectorBytes)
                + BudgetBytesOf(record),
            CreatedTicks = record.CreatedUtcTicks,
            ExpiresTicks = record.ExpiresUtcTicks,
            InputTokens = record.InputTokens,
            OutputTokens = record.OutputTokens,
            Cost = record.Cost,
            HasVector = record.Vector is not null,
            LastAccessTicks = previous is null ? record.CreatedUtcTicks : Interlocked.Read(ref previous.LastAccessTicks),
            Hits = previous is null ? 0 : Volatile.Read(ref previous.Hits),
            ThresholdBoost = previous?.ThresholdBoost ?? 0,
            Budget = previous is null ? null : Volatile.Read(ref previous.Budget),
        };

        lock (_gate)
        {
            meta.GlobalSlot = _all.Count;
            _all.Add(meta);
            meta.TenantSlot = tenant.Entries.Count;
            tenant.Entries.Add(meta);
            foreach (var tag in meta.Tags)
            {
                if (!tenant.Tags.TryGetValue(tag, out var set)) { tenant.Tags[tag] = set = []; }
                set.Add(meta.Id);
            }

            _expiries.Add(meta.Id, meta.ExpiresTicks);
            _entries[meta.Id] = meta;
            Interlocked.Add(ref tenant.Bytes, meta.Size);
            Interlocked.Add(ref _totalBytes, meta.Size);
        }

        if (analysis is not null) { _analyses.Set(record.Id, analysis); }
        if (record.Labels.Count > 0 && meta.Budget is null) { RestoreLabels(meta, record.Labels); }
        if (record.Vector is not null)
        {
            var partition = _partitions.Enter(record.PartitionKey, tenant.Name, record.ScopeFingerprint);
            try
            {
                // At recovery the partition may come from a snapshot that already holds this vector.
                if (!partition.Index.Contains(record.Id))
                {
                    partition.Index.Add(record.Id, record.Vector);
                    Interlocked.Increment(ref partition.Version);
                }

                ReportMaintenanceFault(partition);
            }
            finally
            {
                _partitions.Exit(partition);
            }
        }
    }

    public async ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(
        CacheLookupRequest request,
        Func<CancellationToken, ValueTask<CacheFill>> factory,
        CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        ArgumentNullException.ThrowIfNull(factory);
        ValidateLookup(request);
        if (request.Prompt is null) { throw new ArgumentException("GetOrCreate needs a Prompt: it is what gets stored.", "Prompt"); }
        float[]? vector = null;
        if (request.Vector is { } given)
        {
            vector = new float[_options.Dimensions];
            _validator.Vector(given.Span, vector);
        }

        var keys = ComputeKeys(request.Tenant, request.Scope, request.Context, request.Prompt, createTenant: true);
        (var hit, vector) = await LookupCoreAsync(request, keys, vector, cancellationToken);
        if (hit.IsHit)
        {
            RecordCosts(request, hit);
            return new CacheGetOrCreateResult(hit, Created: false, Coalesced: false);
        }

        var created = false;
        var (result, coalesced) = await _flights.RunAsync(
            keys.ExactKey!.Value.Key128,
            async (takingOver, ct) =>
            {
                if (takingOver)
                {
                    // An earlier leader was cancelled, possibly after storing: look again first.
                    (var again, vector) = await LookupCoreAsync(request, keys, vector, ct);
                    if (again.IsHit)
                    {
                        RecordCosts(request, again);
                        return again;
                    }
                }

                var fill = await factory(ct) ?? throw new InvalidOperationException("The GetOrCreate factory returned null.");
                fill = fill with { Usage = Priced(request.Scope, fill.Usage) };
                _validator.Response(fill.Response);
                _validator.Tags(fill.Tags);
                _validator.TimeToLive(fill.TimeToLive);
                RequestValidator.Usage(fill.Usage);
                vector ??= await EmbedAsync(request.Prompt, "Prompt", ct);
                var stored = await StoreCoreAsync(request.Prompt, keys, vector, fill, KeepsSeveralAnswers(request.Scope), ct);
                created = true;
                var miss = new CacheLookupResult
                {
                    Kind = CacheHitKind.Miss,
                    EntryId = stored.EntryId,
                    Response = fill.Response,
                    Usage = fill.Usage,
                    Tags = fill.Tags ?? [],
                    Reasons = ["created"],
                };

                // Costs once, by the caller that ran the factory (coalesced waiters bought nothing).
                RecordCosts(request, miss);
                RecordCosts(request.Tenant, request.Feature, request.Scope, fill.Usage);
                return miss;
            },
            cancellationToken);
        return new CacheGetOrCreateResult(result, Created: created, Coalesced: coalesced);
    }
}
