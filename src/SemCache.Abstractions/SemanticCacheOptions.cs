namespace SemCache;

/// <summary>How stores are made durable.</summary>
public enum CacheDurability
{
    /// <summary>
    /// A store is acknowledged only after its record reaches the device; concurrent writers share
    /// one commit. Nothing acknowledged is lost by a crash.
    /// </summary>
    Durable = 0,

    /// <summary>
    /// Stores are acknowledged from memory; a checkpoint every <see cref="SemanticCacheOptions.CheckpointInterval"/>
    /// makes them durable. A crash loses at most the stores since the last checkpoint.
    /// </summary>
    Fast = 1,

    /// <summary>Nothing is written to disk; the cache is empty after a restart.</summary>
    InMemory = 2,
}

/// <summary>Which entries capacity eviction removes first.</summary>
public enum CacheEvictionPolicy
{
    /// <summary>Least recently used first.</summary>
    LeastRecentlyUsed = 0,

    /// <summary>
    /// Least value first: money saved per byte, from the entry's cost and how often it was hit,
    /// decayed by age since last use.
    /// </summary>
    CostAware = 1,
}

/// <summary>Which of several answers kept for one prompt a hit returns (see <see cref="SemanticCacheOptions.MaxAnswersPerPrompt"/>).</summary>
public enum CacheAnswerSelection
{
    /// <summary>One chosen uniformly at random on every hit.</summary>
    Random,

    /// <summary>Each in turn, newest first.</summary>
    RoundRobin,

    /// <summary>Always the newest.</summary>
    Newest,
}

// CA1720: the members are named after the element types they store; that is their meaning (issue 9 names them).
#pragma warning disable CA1720

/// <summary>How a partition's vector index stores vectors for search (see <see cref="SemanticCacheOptions.VectorEncoding"/>).</summary>
public enum VectorEncoding
{
    /// <summary>Float32 vectors, searched exactly as stored.</summary>
    Float32 = 0,

    /// <summary>
    /// Int8 scalar quantisation calibrated from the partition's vectors; the graph is searched on the codes and the
    /// best candidates are re-ranked with float32, so hits carry exact similarity.
    /// </summary>
    Int8 = 1,

    /// <summary>One sign bit per dimension (around the partition's mean), searched by Hamming distance; float32 re-rank.</summary>
    Binary = 2,
}
#pragma warning restore CA1720

/// <summary>Options of the embedded engine. Validated at start: an invalid value fails with a message naming it.</summary>
public sealed class SemanticCacheOptions
{
    /// <summary>Folder for the store, checkpoints and index snapshots. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Durability mode. Default <see cref="CacheDurability.Durable"/>.</summary>
    public CacheDurability Durability { get; set; } = CacheDurability.Durable;

    /// <summary>Interval between background checkpoints. Default 30 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Embedding dimension. Must equal the embedder's. Default 384 (MiniLM).</summary>
    public int Dimensions { get; set; } = 384;

    /// <summary>
    /// When true the engine needs no embedder: every request must bring its vector. When false a
    /// missing embedder is a start-up error.
    /// </summary>
    public bool RequestsBringVectors { get; set; }

    /// <summary>
    /// Minimum cosine similarity for a semantic candidate (0 to 1). Default 0.90: with MiniLM and
    /// the verifier, PAWS false hits stay near 8 % from 0.80 to 0.95, while wrong-entry hits on
    /// paraphrased documentation fall from 4 % at 0.86 to 2.5 % at 0.90, 0.3 % with the default
    /// <see cref="AmbiguityMargin"/> (benchmarks/README.md).
    /// <c>semcache calibrate</c> finds the value for a target precision on your own labelled pairs.
    /// </summary>
    public float SimilarityThreshold { get; set; } = 0.90f;

    /// <summary>
    /// Similarity margin (0 to 1) that makes a semantic hit ambiguous: when another candidate that
    /// would also be served comes within this margin of the best and has a different answer, the
    /// lookup is a miss (<c>veto:ambiguous</c>), because the cache cannot tell which answer is
    /// meant. With the check on, a candidate is also not served when a nearer one with a different
    /// answer was refused on wording alone (word order, near-identical wording, negation, antonyms,
    /// question kind), since that refusal alone would have chosen the answer. 0 turns both off.
    /// Default 0.02: on pooled LLM paraphrases of documentation (GPTCache mock data, many near-copy
    /// originals) wrong-entry hits fall from 2.5 % to 0.3 % for 3 points of recall (57.4 % to
    /// 54.5 %); lookups whose close candidates share one answer are unaffected.
    /// </summary>
    public float AmbiguityMargin { get; set; } = 0.02f;

    /// <summary>
    /// Width of the borderline band above the similarity threshold (0 to 1). When an
    /// <see cref="ICandidateRescorer"/> is registered, a verified candidate whose similarity is
    /// below threshold + band is re-scored before it is served. Default 0.05.
    /// </summary>
    public float RescoreBand { get; set; } = 0.05f;

    /// <summary>
    /// Score (0 to 1) a re-scored borderline candidate needs to be served; below it the candidate
    /// is vetoed with <c>veto:rescore</c>. Default 0.5.
    /// </summary>
    public float RescoreMinScore { get; set; } = 0.5f;

    /// <summary>
    /// For requests sampled with <see cref="CacheSampling.Temperature"/> above 0, how many answers
    /// are kept per prompt (1 to 64). Default 1: a store replaces the earlier answer. Above 1, each
    /// store of the same prompt (same scope and context) adds its answer and drops the oldest beyond
    /// the limit, and a hit returns one of them chosen by <see cref="AnswerSelection"/>, so cached
    /// traffic keeps the variety a sampled model gives.
    /// </summary>
    public int MaxAnswersPerPrompt { get; set; } = 1;

    /// <summary>Which answer a hit returns when several are kept for a prompt. Default <see cref="CacheAnswerSelection.Random"/>.</summary>
    public CacheAnswerSelection AnswerSelection { get; set; } = CacheAnswerSelection.Random;

    /// <summary>How many nearest candidates are verified per lookup. Default 4.</summary>
    public int MaxCandidates { get; set; } = 4;

    /// <summary>Partitions above this many entries switch from a flat scan to HNSW. Default 2,048.</summary>
    public int FlatSearchLimit { get; set; } = 2048;

    /// <summary>HNSW links per node. Default 16.</summary>
    public int HnswM { get; set; } = 16;

    /// <summary>HNSW candidate list size while building. Default 200.</summary>
    public int HnswEfConstruction { get; set; } = 200;

    /// <summary>HNSW candidate list size while searching. Default 64.</summary>
    public int HnswEfSearch { get; set; } = 64;

    /// <summary>
    /// How HNSW partitions encode vectors for traversal: <see cref="VectorEncoding.Float32"/> (default),
    /// <see cref="VectorEncoding.Int8"/> or <see cref="VectorEncoding.Binary"/>; the quantised forms re-rank their
    /// candidates with float32. Small (flat) partitions always scan float32 exactly.
    /// </summary>
    public VectorEncoding VectorEncoding { get; set; } = VectorEncoding.Float32;

    /// <summary>Earlier conversation turns that form the context key. Default 6; 0 ignores context.</summary>
    public int ContextWindow { get; set; } = 6;

    /// <summary>Time to live of entries stored without one; null keeps them until evicted.</summary>
    public TimeSpan? DefaultTimeToLive { get; set; }

    /// <summary>Longest time to live accepted. Default 365 days.</summary>
    public TimeSpan MaxTimeToLive { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Maximum live entries in the whole cache; 0 for no limit.</summary>
    public long MaxEntries { get; set; }

    /// <summary>Maximum bytes of live entries in the whole cache; 0 for no limit.</summary>
    public long MaxBytes { get; set; }

    /// <summary>Maximum live entries per tenant; 0 for no limit.</summary>
    public long MaxEntriesPerTenant { get; set; }

    /// <summary>Maximum bytes of live entries per tenant; 0 for no limit.</summary>
    public long MaxBytesPerTenant { get; set; }

    /// <summary>Which entries eviction removes first. Default cost-aware.</summary>
    public CacheEvictionPolicy EvictionPolicy { get; set; } = CacheEvictionPolicy.CostAware;

    /// <summary>Longest prompt accepted, in characters. Default 32,768.</summary>
    public int MaxPromptLength { get; set; } = 32_768;

    /// <summary>Longest response accepted, in characters. Default 1,048,576.</summary>
    public int MaxResponseLength { get; set; } = 1_048_576;

    /// <summary>Most tags per entry. Default 32.</summary>
    public int MaxTags { get; set; } = 32;

    /// <summary>
    /// A pricing file (JSON, the format of <see cref="PricingTable"/>) whose prices replace or extend the shipped
    /// <see cref="PricingTable.Default"/> for money-saved figures and budgets. Read and validated at start: a missing or
    /// invalid file fails the start with a message naming it. Null uses the shipped list prices.
    /// </summary>
    public string? PricingFile { get; set; }

    /// <summary>
    /// Spend budgets and hit-rate floors per tenant or feature (see <see cref="CacheBudget"/>), by name: the name is the
    /// metric's <c>budget</c> tag (1 to 64 ASCII letters, digits, '-', '_' or '.'). Keyed by name so that binding the
    /// configuration twice sets the same budgets instead of adding copies. Validated at start.
    /// </summary>
    public IDictionary<string, CacheBudget> Budgets { get; } = new Dictionary<string, CacheBudget>(StringComparer.Ordinal);

    /// <summary>
    /// Most (tenant, feature, model) lines cost accounting keeps. Feature and model names come from requests, so
    /// they are bounded: beyond this many lines, new combinations are counted under feature and model
    /// <c>(other)</c> of their tenant. Default 4,096.
    /// </summary>
    public int MaxCostLines { get; set; } = 4096;

    /// <summary>When true, prompts and responses may appear in logs. Default false.</summary>
    public bool LogSensitiveData { get; set; }

    /// <summary>The error budget (learned serve decision); off unless <see cref="ErrorBudgetOptions.MaxErrorRate"/> is set.</summary>
    public ErrorBudgetOptions ErrorBudget { get; } = new();
}
