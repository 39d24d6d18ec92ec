using System.Text;
using System.Text.Json;

namespace SemCache.Prefix;

internal sealed partial class PrefixCache
{
    private const int FileMagic = 0x58504353; // "SCPX"
    private const int FileVersion = 1;
    private readonly object _persistGate = new();

    /// <summary>Writes the index to <c>prefix/index.bin</c> (atomically: a temporary file renamed over the old one).</summary>
    internal void Persist()
    {
        if (_directory is null || _readOnly) { return; }
        lock (_persistGate)
        {
            Directory.CreateDirectory(_directory);
            var path = Path.Combine(_directory, "index.bin");
            var temporary = path + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(FileMagic);
                writer.Write(FileVersion);
                writer.Write((int)_options.HashAlgorithm);
                var tenants = _tenants.ToArray();
                writer.Write(tenants.Length);
                foreach (var (tenant, state) in tenants)
                {
                    BackendState[] backends;
                    lock (state.Gate) { backends = [.. state.Backends.Values]; }
                    writer.Write(tenant);
                    writer.Write(backends.Length);
                    foreach (var backend in backends)
                    {
                        writer.Write(JsonSerializer.Serialize(backend.Info));
                        lock (backend.Gate) { backend.Blocks.Export(writer); }
                    }
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
    }

    private void Load()
    {
        var path = Path.Combine(_directory!, "index.bin");
        if (!File.Exists(path)) { return; }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadInt32() != FileMagic || reader.ReadInt32() != FileVersion) { throw new InvalidDataException("not a prefix index of this version"); }

            // Keys of another algorithm can never match: start empty rather than keep dead blocks.
            if (reader.ReadInt32() != (int)_options.HashAlgorithm) { return; }
            var tenants = reader.ReadInt32();
            for (var t = 0; t < tenants; t++)
            {
                var tenant = reader.ReadString();
                var backends = reader.ReadInt32();
                for (var b = 0; b < backends; b++)
                {
                    var info = JsonSerializer.Deserialize<PrefixBackend>(reader.ReadString()) ?? throw new InvalidDataException("a null backend");
                    var state = new BackendState(info, SeedFor(tenant, info.Tokenizer, info.BlockSize), _options);
                    state.Blocks.Import(reader);
                    // Limits lowered since the file was written drop what no longer fits instead of the whole index.
                    var tenantState = _tenants.Count < _options.MaxTenants || _tenants.ContainsKey(tenant) ? TenantFor(tenant, create: true) : null;
                    if (tenantState is not null && tenantState.Backends.Count < _options.MaxBackendsPerTenant) { tenantState.Backends[info.Id] = state; }
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or JsonException or IOException or ArgumentException)
        {
            // A damaged index is only lost routing advice: keep it aside for inspection and start empty.
            _tenants.Clear();
            if (!_readOnly) { File.Move(path, path + ".damaged", overwrite: true); }
        }
    }
}
