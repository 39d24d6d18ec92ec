namespace SemCache.Verification;

// Seam for the verifier; the rules land with the verifier work (issue 4) and replace this file.
internal sealed class PromptAnalysis
{
    private PromptAnalysis(string text) => Text = text;

    public string Text { get; }

    public static PromptAnalysis Analyze(string text) => new(text);
}

internal sealed record VerifierOptions;

internal readonly record struct VerificationResult(bool Accepted, IReadOnlyList<string> Reasons);

internal sealed class PromptVerifier(VerifierOptions options)
{
    public VerifierOptions Options { get; } = options;

#pragma warning disable CA1822 // Instance method: the real verifier reads its options.
    public VerificationResult Verify(PromptAnalysis query, PromptAnalysis candidate, float similarity) =>
        new(true, []);
#pragma warning restore CA1822
}
