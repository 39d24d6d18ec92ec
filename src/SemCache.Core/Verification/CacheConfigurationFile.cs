using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SemCache.Verification;

/// <summary>A similarity threshold with the verifier settings it was chosen with.</summary>
internal sealed record CacheConfiguration(float SimilarityThreshold, VerifierOptions Verifier, float AmbiguityMargin);

/// <summary>
/// The configuration file <c>semcache calibrate</c> writes and the library and server read. It is
/// laid out as .NET configuration: section <c>SemCache</c> binds to
/// <see cref="SemanticCacheOptions"/> (only <c>SimilarityThreshold</c> is set) and
/// <c>SemCache:Verifier</c> to <see cref="VerifierOptions"/>; <c>Calibration</c> records how the
/// values were found and is not read back.
/// </summary>
internal static class CacheConfigurationFile
{
    /// <summary>The built-in defaults: the engine's default threshold and every rule on.</summary>
    public static CacheConfiguration Defaults()
    {
        var defaults = new SemanticCacheOptions();
        return new(defaults.SimilarityThreshold, new VerifierOptions(), defaults.AmbiguityMargin);
    }

    /// <summary>Writes <paramref name="configuration"/> and the calibration facts to <paramref name="path"/>.</summary>
    public static void Write(string path, CacheConfiguration configuration, IReadOnlyDictionary<string, object> calibration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(calibration);
        using var stream = File.Create(path);
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("SemCache");
            json.WriteNumber("SimilarityThreshold", Math.Round(configuration.SimilarityThreshold, 4));
            json.WriteNumber("AmbiguityMargin", Math.Round(configuration.AmbiguityMargin, 4));
            json.WriteStartObject("Verifier");
            foreach (var property in typeof(VerifierOptions).GetProperties())
            {
                WriteValue(json, property.Name, property.GetValue(configuration.Verifier));
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("Calibration");
            foreach (var (key, value) in calibration)
            {
                WriteValue(json, key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        stream.Write("\n"u8);
    }

    private static void WriteValue(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case bool flag:
                json.WriteBoolean(name, flag);
                break;
            case float single:
                json.WriteNumber(name, Math.Round(single, 4));
                break;
            case double number:
                json.WriteNumber(name, number);
                break;
            case int integer:
                json.WriteNumber(name, integer);
                break;
            default:
                json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>Reads a file written by <see cref="Write"/>; settings it does not name keep their defaults.</summary>
    public static CacheConfiguration Read(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new FormatException($"{path}: not a JSON object.");
        var section = root["SemCache"] as JsonObject ?? throw new FormatException($"{path}: no \"SemCache\" section.");
        var threshold = section["SimilarityThreshold"]?.GetValue<double>() ?? new SemanticCacheOptions().SimilarityThreshold;
        if (!(threshold is >= 0 and <= 1))
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{path}: SemCache:SimilarityThreshold must be between 0 and 1 (was {threshold})."));
        }

        var margin = section["AmbiguityMargin"]?.GetValue<double>() ?? new SemanticCacheOptions().AmbiguityMargin;
        if (!(margin is >= 0 and <= 1))
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{path}: SemCache:AmbiguityMargin must be between 0 and 1 (was {margin})."));
        }

        var options = new VerifierOptions();
        if (section["Verifier"] is JsonObject verifier)
        {
            foreach (var (name, value) in verifier)
            {
                var property = typeof(VerifierOptions).GetProperty(name)
                    ?? throw new FormatException($"{path}: unknown verifier setting SemCache:Verifier:{name}.");
                object converted = property.PropertyType == typeof(bool) ? value!.GetValue<bool>() : (float)value!.GetValue<double>();
                property.SetValue(options, converted);
            }
        }

        options.Validate();
        return new CacheConfiguration((float)threshold, options, (float)margin);
    }
}
