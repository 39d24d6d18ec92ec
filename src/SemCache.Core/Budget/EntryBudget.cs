namespace SemCache.Budget;

/// <summary>
/// What the error budget keeps per cached entry, fixed in size: the entry's logit offset (mean and
/// variance), its newest labels (at most the configured number, persisted with the entry so the
/// models are rebuilt at a restart) and the signals of its last served hit (which hit feedback
/// labels). Created on an entry's first label or hit under a budget; entries never judged by a
/// budget carry none.
/// </summary>
internal sealed class EntryBudget(int maxLabels)
{
    /// <summary>
    /// What one entry's budget state can cost, counted against the cache's byte limits: this object
    /// (header, lock, fields, the last served label: ~120 bytes, rounded up to 160) and its label
    /// array (16 bytes per label as laid out in memory, plus the array's header), and the labels in
    /// the entry's stored record (<see cref="Storage.EntryRecordCodec.MaxLabelBytes"/> each plus a count).
    /// </summary>
    public static long ChargedBytes(int maxLabels) =>
        160 + 24 + (maxLabels * 16L) + sizeof(int) + (maxLabels * (long)Storage.EntryRecordCodec.MaxLabelBytes);

    private readonly Lock _gate = new();
    private readonly BudgetLabel[] _labels = new BudgetLabel[maxLabels];
    private int _count;
    private int _next;
    private double _offset;
    private double _offsetVariance = BudgetModel.EntryPriorVariance;
    private BudgetLabel? _lastServed;

    /// <summary>The entry's offset to the tenant's logit: mean and variance.</summary>
    public (double Mean, double Variance) Offset
    {
        get
        {
            lock (_gate) { return (_offset, _offsetVariance); }
        }
    }

    /// <summary>Labels held (never more than the bound given at creation).</summary>
    public int Count
    {
        get
        {
            lock (_gate) { return _count; }
        }
    }

    /// <summary>The held labels, oldest first.</summary>
    public BudgetLabel[] Labels()
    {
        lock (_gate)
        {
            var labels = new BudgetLabel[_count];
            var start = (_next - _count + _labels.Length) % _labels.Length;
            for (var i = 0; i < _count; i++) { labels[i] = _labels[(start + i) % _labels.Length]; }
            return labels;
        }
    }

    /// <summary>Keeps a label (the oldest goes when full).</summary>
    public void Add(BudgetLabel label)
    {
        lock (_gate)
        {
            _labels[_next] = label;
            _next = (_next + 1) % _labels.Length;
            _count = Math.Min(_count + 1, _labels.Length);
        }
    }

    /// <summary>One Newton step of the offset, the tenant's logit <paramref name="tenantLogit"/> held fixed.</summary>
    public void Learn(double tenantLogit, double correct)
    {
        lock (_gate)
        {
            var p = BudgetModel.Sigmoid(tenantLogit + _offset);
            _offsetVariance = 1 / ((1 / _offsetVariance) + Math.Max(p * (1 - p), 1e-6));
            _offset += _offsetVariance * (correct - p);
        }
    }

    /// <summary>The similarity and signals of the entry's last semantic hit, which feedback on that hit labels.</summary>
    public BudgetLabel? LastServed
    {
        get
        {
            lock (_gate) { return _lastServed; }
        }

        set
        {
            lock (_gate) { _lastServed = value; }
        }
    }
}
