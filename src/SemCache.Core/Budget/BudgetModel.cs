namespace SemCache.Budget;

/// <summary>
/// A tenant's model of P(correct | similarity, gap, re-scorer score, rule signals): Bayesian logistic regression updated
/// online with the Laplace approximation (one Newton step per label, Sherman–Morrison for the
/// covariance), so every label costs O(d²) with d = <see cref="Features"/> and the posterior gives a
/// confidence bound. Each cached entry adds its own offset (<see cref="EntryBudget"/>), learned from
/// its labels only, so an entry with harmless rewordings and one with near neighbours of another
/// meaning get different boundaries, and an entry without labels falls back to the tenant's.
/// Thread-safe: a lock per tenant model (labels are rare next to lookups).
/// </summary>
internal sealed class BudgetModel
{
    /// <summary>Bias, scaled similarity, scaled gap to the next candidate, the re-scorer's score, then one feature per verifier rule (the bits of <c>VetoReasons</c>).</summary>
    internal const int Rules = 12;

    /// <summary>Index of the re-scorer's feature; the rules follow it.</summary>
    private const int ScoreFeature = 3;

    internal const int Features = 4 + Rules;

    /// <summary>
    /// The re-scorer's probability enters as its log-odds, clamped to ±6 (p from 0.25 % to 99.75 %:
    /// beyond that a cross-encoder's confidence says nothing more a label could check) and halved so
    /// the feature lives on the same scale (±3) as the others. 0.5, like an absent score, is 0: neutral.
    /// </summary>
    private const double MaxScoreLogit = 6, ScoreScale = 0.5;

    /// <summary>
    /// Gaps beyond this tell nothing more (the neighbour is far). 0.15: on the GPTCache-paraphrase
    /// stream the share of correct candidates keeps rising with the gap up to about 0.14 (26 % at
    /// 0 to 0.02, 87 % at 0.10, 95 % at 0.14, flat beyond), so a cap at 0.1 hid the most reliable
    /// candidates from the model.
    /// </summary>
    private const double MaxGap = 0.15;

    /// <summary>Similarity enters as (s - centre) * scale, so the weights live on a scale near 1.</summary>
    private const double Centre = 0.9;
    private const double Scale = 20;

    // The prior says what the static defaults assume before any label: at the default threshold
    // (0.90) with every rule passed an answer is probably right (logit 1: 73 %), more so as the
    // similarity rises (+1 per 0.05), and every rule that fires makes it much less likely (-2). The
    // variances are wide, so the first labels move the model and the bound starts uncertain:
    // nothing is served on the prior alone at any useful δ.
    // A gap starts neutral (weight 0, wide): how much a near neighbour matters is learned.
    private const double PriorBias = 1, PriorSlope = 1, PriorGap = 0, PriorRule = -2;
    private const double PriorBiasVariance = 4, PriorSlopeVariance = 4, PriorGapVariance = 4, PriorRuleVariance = 2;

    // The re-scorer's score (ICandidateRescorer: a probability that both prompts ask for the same
    // answer) starts at weight 1 on the halved log-odds, i.e. half of the score's own log-odds is
    // added to the logit. A calibrated score from a model independent of the embedding would earn
    // weight 2 (its full log-odds); a cross-encoder reads the same pair as the embedder, so part of
    // its evidence is already in the similarity, and a model of unknown calibration starts at half
    // trust. The variance (4) is as wide as the similarity's: the labels, not the prior, decide how
    // much a given model is worth.
    private const double PriorScore = 1, PriorScoreVariance = 4;

    /// <summary>Prior variance of an entry's offset.</summary>
    internal const double EntryPriorVariance = 1;

    private readonly Lock _gate = new();
    private readonly double[] _mean = new double[Features];
    private readonly double[] _covariance = new double[Features * Features];
    private long _labels;

    public BudgetModel()
    {
        _mean[0] = PriorBias;
        _mean[1] = PriorSlope;
        _mean[2] = PriorGap;
        _covariance[0] = PriorBiasVariance;
        _covariance[Features + 1] = PriorSlopeVariance;
        _covariance[(2 * Features) + 2] = PriorGapVariance;
        _mean[ScoreFeature] = PriorScore;
        _covariance[(ScoreFeature * Features) + ScoreFeature] = PriorScoreVariance;
        for (var r = 0; r < Rules; r++)
        {
            _mean[ScoreFeature + 1 + r] = PriorRule;
            _covariance[((ScoreFeature + 1 + r) * Features) + ScoreFeature + 1 + r] = PriorRuleVariance;
        }
    }

    /// <summary>Labels learned so far.</summary>
    public long Labels => Interlocked.Read(ref _labels);

    /// <summary>The feature vector of a candidate; <paramref name="score"/> NaN: no re-scorer score (neutral).</summary>
    public static void Encode(float similarity, ushort vetoes, float gap, float score, Span<double> x)
    {
        x[0] = 1;
        x[1] = (similarity - Centre) * Scale;
        x[2] = Math.Clamp(gap, 0, MaxGap) * Scale;
        x[ScoreFeature] = ScoreFeatureOf(score);
        for (var r = 0; r < Rules; r++)
        {
            x[ScoreFeature + 1 + r] = (vetoes & (1 << r)) != 0 ? 1 : 0;
        }
    }

    /// <summary>The re-scorer's feature: its clamped, halved log-odds; 0 (neutral) without a score.</summary>
    internal static double ScoreFeatureOf(float score)
    {
        if (!float.IsFinite(score)) { return 0; }
        var p = Math.Clamp(score, 1e-6, 1 - 1e-6);
        return Math.Clamp(Math.Log(p / (1 - p)), -MaxScoreLogit, MaxScoreLogit) * ScoreScale;
    }

    /// <summary>Mean and variance of the tenant's logit for a candidate (<paramref name="score"/> NaN: none).</summary>
    public (double Mean, double Variance) Logit(float similarity, ushort vetoes, float gap, float score = float.NaN)
    {
        Span<double> x = stackalloc double[Features];
        Encode(similarity, vetoes, gap, score, x);
        lock (_gate)
        {
            return (Dot(_mean, x), Quadratic(x));
        }
    }

    /// <summary>
    /// The estimate of P(correct) and its lower confidence bound for a candidate of an entry
    /// (<paramref name="entry"/> null: no entry offset), <paramref name="z"/> standard deviations below the mean logit;
    /// <paramref name="score"/> is the re-scorer's score (NaN: none, neutral).
    /// </summary>
    public (double Mean, double Lower) Predict(float similarity, ushort vetoes, float gap, EntryBudget? entry, double z, float score = float.NaN)
    {
        var (mean, variance) = Logit(similarity, vetoes, gap, score);
        if (entry is not null)
        {
            var (offset, offsetVariance) = entry.Offset;
            mean += offset;
            variance += offsetVariance;
        }

        return (Sigmoid(mean), Sigmoid(mean - (z * Math.Sqrt(Math.Max(0, variance)))));
    }

    /// <summary>Learns one label: the tenant's weights, then the entry's offset given them.</summary>
    public void Learn(BudgetLabel label, EntryBudget? entry)
    {
        Span<double> x = stackalloc double[Features];
        Span<double> sx = stackalloc double[Features];
        Encode(label.Similarity, label.Vetoes, label.Gap, label.Score, x);
        var y = label.Correct ? 1.0 : 0.0;
        var offset = entry?.Offset.Mean ?? 0;
        double tenantLogit;
        lock (_gate)
        {
            tenantLogit = Dot(_mean, x);
            var p = Sigmoid(tenantLogit + offset);
            var curvature = Math.Max(p * (1 - p), 1e-6);

            // Σ' = Σ - (Σx)(Σx)ᵀ c / (1 + c xᵀΣx); μ' = μ + Σ' x (y - p).
            for (var i = 0; i < Features; i++)
            {
                double sum = 0;
                for (var j = 0; j < Features; j++) { sum += _covariance[(i * Features) + j] * x[j]; }
                sx[i] = sum;
            }

            var denominator = 1 + (curvature * Dot(x, sx));
            for (var i = 0; i < Features; i++)
            {
                for (var j = 0; j < Features; j++)
                {
                    _covariance[(i * Features) + j] -= sx[i] * sx[j] * curvature / denominator;
                }
            }

            for (var i = 0; i < Features; i++)
            {
                double step = 0;
                for (var j = 0; j < Features; j++) { step += _covariance[(i * Features) + j] * x[j]; }
                _mean[i] += step * (y - p);
            }

            _labels++;
        }

        entry?.Learn(tenantLogit, y);
    }

    internal static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) { sum += a[i] * b[i]; }
        return sum;
    }

    private double Quadratic(ReadOnlySpan<double> x)
    {
        double sum = 0;
        for (var i = 0; i < Features; i++)
        {
            double row = 0;
            for (var j = 0; j < Features; j++) { row += _covariance[(i * Features) + j] * x[j]; }
            sum += x[i] * row;
        }

        return sum;
    }

    /// <summary>Standard normal quantile for a one-sided confidence (Acklam's rational approximation, |error| &lt; 1.2e-9).</summary>
    internal static double NormalQuantile(double p)
    {
        double[] a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690, -30.66479806614716, 2.506628277459239];
        double[] b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
        double[] c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
        double[] d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
        const double Low = 0.02425;
        if (p < Low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return Horner(c, q) / ((Horner(d, q) * q) + 1);
        }

        if (p > 1 - Low) { return -NormalQuantile(1 - p); }
        var r = p - 0.5;
        var s = r * r;
        return Horner(a, s) * r / ((Horner(b, s) * s) + 1);
    }

    /// <summary>Evaluates c[0] xⁿ⁻¹ + ... + c[n-1].</summary>
    private static double Horner(double[] coefficients, double x)
    {
        double sum = 0;
        foreach (var c in coefficients) { sum = (sum * x) + c; }
        return sum;
    }
}
