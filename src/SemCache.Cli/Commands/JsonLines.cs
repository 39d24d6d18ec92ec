using System.Globalization;
using System.Text.Json;

namespace SemCache.Cli.Commands;

/// <summary>Reads JSON Lines files (one object per line, blank lines skipped) for the evaluation commands.</summary>
internal static class JsonLines
{
    /// <summary>
    /// Parses up to <paramref name="limit"/> objects; <paramref name="parse"/> gets each object and
    /// its location (<c>path:line</c>) for error messages, and throws <see cref="FormatException"/>
    /// for a line that does not have the expected shape.
    /// </summary>
    public static List<T> Read<T>(string path, int? limit, Func<JsonElement, string, T> parse)
    {
        var items = new List<T>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (limit is { } max && items.Count >= max)
            {
                break;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var location = string.Create(CultureInfo.InvariantCulture, $"{path}:{lineNumber}");
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new FormatException($"{location}: not a JSON object ({e.Message})", e);
            }

            using (document)
            {
                items.Add(parse(document.RootElement, location));
            }
        }

        return items;
    }
}
