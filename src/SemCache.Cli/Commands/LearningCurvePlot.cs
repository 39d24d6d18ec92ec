using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;

namespace SemCache.Cli.Commands;

/// <summary>
/// Draws the learning curve of an error-budget replay as a PNG line chart (no drawing package):
/// per window of prompts, the budget's hit rate and error rate, its exploration rate, δ, and the
/// hit rate of the best static threshold at the same error. RGB raster, one zlib stream.
/// </summary>
internal static class LearningCurvePlot
{
    private const int Width = 900, Height = 520, Left = 70, Right = 20, Top = 48, Bottom = 60, Scale = 2;

    private static readonly (byte R, byte G, byte B) Blue = (31, 119, 180), Red = (214, 39, 40), Gray = (120, 120, 120), Green = (44, 160, 44), Black = (0, 0, 0), Light = (225, 225, 225);

    public static void Write(string path, ReplayResult budget, double delta, ReplayResult? staticBest)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var pixels = new byte[Width * Height * 3];
        Array.Fill(pixels, (byte)255);
        var budgetHits = Points(budget, static w => w.Prompts == 0 ? 0 : (double)w.Hits / w.Prompts);
        var errors = Points(budget, static w => w.Hits == 0 ? 0 : (double)w.Wrong / w.Hits);
        var explores = Points(budget, static w => w.Prompts == 0 ? 0 : (double)w.Explorations / w.Prompts);
        var staticHits = staticBest is null ? [] : Points(staticBest, static w => w.Prompts == 0 ? 0 : (double)w.Hits / w.Prompts);
        var top = new[] { budgetHits, errors, explores, staticHits }.SelectMany(static p => p).Select(static p => p.Y).DefaultIfEmpty(0).Max();
        var yMax = Math.Clamp(Math.Ceiling(Math.Max(top, delta) * 11) / 10, 0.1, 1.0);
        var xMax = (double)Math.Max(1, budget.Prompts);

        int X(double x) => Left + (int)Math.Round(x / xMax * (Width - Left - Right));
        int Y(double y) => Height - Bottom - (int)Math.Round(Math.Min(y, yMax) / yMax * (Height - Top - Bottom));

        // Grid and axes, with a label per tenth (or hundredth) of the rate and per window of prompts.
        var step = yMax <= 0.2 ? 0.02 : 0.1;
        for (var y = 0.0; y <= yMax + 1e-9; y += step)
        {
            Line(pixels, Left, Y(y), Width - Right, Y(y), Light);
            Text(pixels, Left - 8 - (TextWidth(Label(y)) * Scale), Y(y) - (5 * Scale / 2), Label(y), Black);
        }

        Line(pixels, Left, Top, Left, Height - Bottom, Black);
        Line(pixels, Left, Height - Bottom, Width - Right, Height - Bottom, Black);
        var seen = 0;
        var every = Math.Max(1, budget.Curve.Count / 10);
        for (var i = 0; i < budget.Curve.Count; i++)
        {
            seen += budget.Curve[i].Prompts;
            if ((i + 1) % every != 0 && i != budget.Curve.Count - 1) { continue; }
            var label = seen.ToString(CultureInfo.InvariantCulture);
            Line(pixels, X(seen), Height - Bottom, X(seen), Height - Bottom + 5, Black);
            Text(pixels, X(seen) - (TextWidth(label) * Scale / 2), Height - Bottom + 10, label, Black);
        }

        Text(pixels, (Width / 2) - (TextWidth("PROMPTS") * Scale / 2), Height - 22, "PROMPTS", Black);

        // δ as a dashed line, then the curves.
        for (var x = Left; x < Width - Right; x += 12) { Line(pixels, x, Y(delta), Math.Min(x + 6, Width - Right), Y(delta), Red); }
        Polyline(pixels, staticHits, X, Y, Gray);
        Polyline(pixels, explores, X, Y, Green);
        Polyline(pixels, errors, X, Y, Red);
        Polyline(pixels, budgetHits, X, Y, Blue);

        // Legend along the top.
        var legend = new (string Text, (byte, byte, byte) Color)[]
        {
            ("BUDGET HIT RATE", Blue), ("BUDGET ERROR RATE", Red), ("DELTA " + Label(delta), Red), ("EXPLORATION RATE", Green),
            (staticBest is null ? "NO STATIC AT SAME ERROR" : "STATIC " + staticBest.Name.ToUpperInvariant() + " HIT RATE", Gray),
        };
        var lx = Left;
        var ly = 6;
        foreach (var (text, color) in legend)
        {
            var width = 24 + (TextWidth(text) * Scale) + 18;
            if (lx + width > Width - Right && lx > Left)
            {
                lx = Left;
                ly += 14;
            }

            for (var d = 0; d < 3; d++) { Line(pixels, lx, ly + 4 + d, lx + 18, ly + 4 + d, color); }
            Text(pixels, lx + 24, ly, text, Black);
            lx += width;
        }

        File.WriteAllBytes(path, Png(pixels));
    }

    private static string Label(double v) => v.ToString(v < 0.1 && v > 0 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static List<(double X, double Y)> Points(ReplayResult r, Func<CurveWindow, double> value)
    {
        var points = new List<(double, double)>();
        var seen = 0;
        foreach (var w in r.Curve)
        {
            seen += w.Prompts;
            points.Add((seen, value(w)));
        }

        return points;
    }

    private static void Polyline(byte[] pixels, List<(double X, double Y)> points, Func<double, int> x, Func<double, int> y, (byte, byte, byte) color)
    {
        for (var i = 1; i < points.Count; i++)
        {
            for (var d = 0; d < 2; d++)
            {
                Line(pixels, x(points[i - 1].X), y(points[i - 1].Y) + d, x(points[i].X), y(points[i].Y) + d, color);
            }
        }

        foreach (var (px, py) in points) { Dot(pixels, x(px), y(py), color); }
    }

    private static void Dot(byte[] pixels, int cx, int cy, (byte, byte, byte) color)
    {
        for (var dy = -2; dy <= 2; dy++)
        {
            for (var dx = -2; dx <= 2; dx++) { Set(pixels, cx + dx, cy + dy, color); }
        }
    }

    /// <summary>Bresenham.</summary>
    private static void Line(byte[] pixels, int x0, int y0, int x1, int y1, (byte, byte, byte) color)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            Set(pixels, x0, y0, color);
            if (x0 == x1 && y0 == y1) { return; }
            var e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    private static void Set(byte[] pixels, int x, int y, (byte R, byte G, byte B) color)
    {
        if ((uint)x >= Width || (uint)y >= Height) { return; }
        var i = ((y * Width) + x) * 3;
        pixels[i] = color.R;
        pixels[i + 1] = color.G;
        pixels[i + 2] = color.B;
    }

    private static int TextWidth(string text) => text.Length * 4;

    /// <summary>A 3x5 pixel font (upper case, digits, a few signs), drawn at <see cref="Scale"/>.</summary>
    private static void Text(byte[] pixels, int x, int y, string text, (byte, byte, byte) color)
    {
        foreach (var c in text)
        {
            if (Glyphs.TryGetValue(c, out var rows))
            {
                for (var r = 0; r < 5; r++)
                {
                    for (var col = 0; col < 3; col++)
                    {
                        if ((rows[r] & (4 >> col)) == 0) { continue; }
                        for (var sy = 0; sy < Scale; sy++)
                        {
                            for (var sx = 0; sx < Scale; sx++) { Set(pixels, x + (col * Scale) + sx, y + (r * Scale) + sy, color); }
                        }
                    }
                }
            }

            x += 4 * Scale;
        }
    }

    private static readonly Dictionary<char, byte[]> Glyphs = new()
    {
        ['0'] = [7, 5, 5, 5, 7],
        ['1'] = [2, 6, 2, 2, 7],
        ['2'] = [7, 1, 7, 4, 7],
        ['3'] = [7, 1, 7, 1, 7],
        ['4'] = [5, 5, 7, 1, 1],
        ['5'] = [7, 4, 7, 1, 7],
        ['6'] = [7, 4, 7, 5, 7],
        ['7'] = [7, 1, 1, 1, 1],
        ['8'] = [7, 5, 7, 5, 7],
        ['9'] = [7, 5, 7, 1, 7],
        ['.'] = [0, 0, 0, 0, 2],
        [':'] = [0, 2, 0, 2, 0],
        ['%'] = [5, 1, 2, 4, 5],
        ['='] = [0, 7, 0, 7, 0],
        ['-'] = [0, 0, 7, 0, 0],
        ['A'] = [2, 5, 7, 5, 5],
        ['B'] = [6, 5, 6, 5, 6],
        ['C'] = [7, 4, 4, 4, 7],
        ['D'] = [6, 5, 5, 5, 6],
        ['E'] = [7, 4, 6, 4, 7],
        ['F'] = [7, 4, 6, 4, 4],
        ['G'] = [7, 4, 5, 5, 7],
        ['H'] = [5, 5, 7, 5, 5],
        ['I'] = [7, 2, 2, 2, 7],
        ['K'] = [5, 5, 6, 5, 5],
        ['L'] = [4, 4, 4, 4, 7],
        ['M'] = [5, 7, 7, 5, 5],
        ['N'] = [6, 5, 5, 5, 5],
        ['O'] = [7, 5, 5, 5, 7],
        ['P'] = [7, 5, 7, 4, 4],
        ['R'] = [6, 5, 6, 5, 5],
        ['S'] = [7, 4, 7, 1, 7],
        ['T'] = [7, 2, 2, 2, 2],
        ['U'] = [5, 5, 5, 5, 7],
        ['W'] = [5, 5, 7, 7, 5],
        ['X'] = [5, 5, 2, 5, 5],
        ['Y'] = [5, 5, 2, 2, 2],
        ['Z'] = [7, 1, 2, 4, 7],
        ['V'] = [5, 5, 5, 5, 2],
        ['J'] = [1, 1, 1, 5, 7],
        ['Q'] = [7, 5, 5, 7, 1],
    };

    /// <summary>An 8-bit RGB PNG: signature, IHDR, one IDAT (zlib, filter 0 per row), IEND.</summary>
    internal static byte[] Png(byte[] rgb)
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8;
        header[9] = 2;
        Chunk(output, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (var y = 0; y < Height; y++)
                {
                    zlib.WriteByte(0);
                    zlib.Write(rgb, y * Width * 3, Width * 3);
                }
            }

            Chunk(output, "IDAT", compressed.ToArray());
        }

        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        output.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(typed));
        output.Write(word);
    }
}
