using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SemCache;
using SemCache.Embeddings.Onnx;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ONNX cross-encoder as the semantic cache's candidate re-scorer.</summary>
public static class OnnxCrossEncoderServiceCollectionExtensions
{
    /// <summary>
    /// Makes an ONNX cross-encoder the singleton <see cref="ICandidateRescorer"/> that the engine
    /// consults for borderline candidates (replacing any re-scorer registered before). Options are
    /// validated here; the model loads when the re-scorer is first resolved, and a missing or
    /// unsuitable model fails that resolution with a clear message.
    /// </summary>
    /// <param name="builder">The cache builder returned by <c>AddSemanticCache(...)</c>.</param>
    /// <param name="configure">Sets the options; <see cref="OnnxCrossEncoderOptions.ModelDirectory"/> is required.</param>
    /// <returns>The same builder.</returns>
    public static ISemanticCacheBuilder AddOnnxCrossEncoder(this ISemanticCacheBuilder builder, Action<OnnxCrossEncoderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OnnxCrossEncoderOptions();
        configure(options);
        options.Validate();

        var services = builder.Services;
        services.RemoveAll<ICandidateRescorer>();
        services.RemoveAll<OnnxCrossEncoder>();
        services.AddSingleton(sp => OnnxCrossEncoder.Create(options, sp.GetService<ILoggerFactory>()));
        services.AddSingleton<ICandidateRescorer>(sp => sp.GetRequiredService<OnnxCrossEncoder>());
        return builder;
    }
}
