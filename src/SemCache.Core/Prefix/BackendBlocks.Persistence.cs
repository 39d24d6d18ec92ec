namespace SemCache.Prefix;

internal sealed partial class BackendBlocks
{
    /// <summary>Writes the blocks oldest first with each one's parent as a position in the same list.</summary>
    public void Export(BinaryWriter writer)
    {
        var position = new int[_highWater];
        var count = 0;
        for (var s = _lru; s != None; s = _newer[s]) { position[s] = count++; }
        writer.Write(count);
        for (var s = _lru; s != None; s = _newer[s])
        {
            writer.Write((ulong)_key[s]);
            writer.Write((ulong)(_key[s] >> 64));
            writer.Write(_parent[s] == None ? None : position[_parent[s]]);
            writer.Write(_expires[s]);
            writer.Write(_hasEngineHash[s]);
            writer.Write(_engineHash[s]);
        }
    }

    /// <summary>
    /// Reads what <see cref="Export"/> wrote into an empty index. When the capacity shrank, the oldest blocks are
    /// skipped; they are never the parent of a newer one, so what remains is still prefix-closed.
    /// </summary>
    public void Import(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0) { throw new InvalidDataException("negative block count"); }
        var skip = Math.Max(0, count - _capacity);
        var slots = new int[count];
        var parents = new int[count];
        for (var i = 0; i < count; i++)
        {
            var lower = reader.ReadUInt64();
            var key = new UInt128(reader.ReadUInt64(), lower);
            parents[i] = reader.ReadInt32();
            var expires = reader.ReadInt64();
            var hasEngine = reader.ReadBoolean();
            var engineHash = reader.ReadUInt64();
            if (parents[i] < None || parents[i] >= count) { throw new InvalidDataException($"block {i} names parent {parents[i]} of {count}"); }
            slots[i] = None;
            if (i < skip || _slotOf.ContainsKey(key) || (parents[i] != None && parents[i] < i && slots[parents[i]] == None)) { continue; }
            var slot = Allocate();
            _key[slot] = key;
            _expires[slot] = expires;
            _anyExpiry |= expires != 0;
            _hasEngineHash[slot] = hasEngine;
            _engineHash[slot] = engineHash;
            if (hasEngine) { _engineSlot[engineHash] = slot; }
            _slotOf.Set(key, slot);
            PushMru(slot);
            slots[i] = slot;
        }

        for (var i = 0; i < count; i++)
        {
            if (slots[i] == None || parents[i] == None) { continue; }
            if (slots[parents[i]] == None)
            {
                // Its parent was not kept: without it the block is useless, as after a removal.
                RemoveSubtree(slots[i]);
                slots[i] = None;
                continue;
            }

            Link(slots[i], slots[parents[i]]);
        }
    }
}
