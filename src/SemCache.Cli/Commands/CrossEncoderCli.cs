using System.CommandLine;
using SemCache.Embeddings.Onnx;

namespace SemCache.Cli.Commands;

/// <summary>
/// The optional cross-encoder of the evaluation commands: with <c>--cross-encoder DIR</c> the
/// engine re-scores borderline candidates as a server configured with <c>SemCache:CrossEncoder</c> does.
/// </summary>
internal static class CrossEncoderCli
{
    public sealed record Options(Option<string?> ModelDirectory, Option<float> Band, Option<float> MinScore);

    /// <summary>A loaded cross-encoder and the band and score the engine applies with it.</summary>
    public sealed record Rescoring(OnnxCrossEncoder Rescorer, float Band, float MinScore) : IDisposable
    {
        public void Apply(SemanticCacheOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            options.RescoreBand = Band;
            options.RescoreMinScore = MinScore;
        }

        public void Dispose() => Rescorer.Dispose();
    }

    public static Options AddOptions(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var defaults = new SemanticCacheOptions();
        var options = new Options(
            new Option<string?>("--cross-encoder") { Description = "Folder with a BERT cross-encoder (model.onnx and vocab.txt or tokenizer.json) that re-scores borderline candidates; default: none." },
            new Option<float>("--rescore-band") { Description = "With --cross-encoder: candidates below threshold + band are re-scored.", DefaultValueFactory = _ => defaults.RescoreBand },
            new Option<float>("--rescore-min-score") { Description = "With --cross-encoder: score a re-scored candidate needs to be served.", DefaultValueFactory = _ => defaults.RescoreMinScore });
        command.Options.Add(options.ModelDirectory);
        command.Options.Add(options.Band);
        command.Options.Add(options.MinScore);
        return options;
    }

    /// <summary>The cross-encoder named on the command line, or null when none is.</summary>
    public static Rescoring? Create(ParseResult parseResult, Options options)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(options);
        if (parseResult.GetValue(options.ModelDirectory) is not { Length: > 0 } directory)
        {
            return null;
        }

        var encoder = OnnxCrossEncoder.Create(new OnnxCrossEncoderOptions { ModelDirectory = directory });
        return new Rescoring(encoder, parseResult.GetValue(options.Band), parseResult.GetValue(options.MinScore));
    }
}
