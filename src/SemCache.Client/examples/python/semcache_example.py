#!/usr/bin/python3
"""Stores and looks up an answer in a SemCache server with plain grpcio (no .NET client).

    src/SemCache.Client/examples/python/gen_stubs.sh /tmp/semcache_stubs
    PYTHONPATH=/tmp/semcache_stubs /usr/bin/python3 semcache_example.py \
        --server 127.0.0.1:50051 --key "$SEMCACHE_KEY"

Prints one JSON line per call. Exit code 0 when the stored answer came back as an exact hit.
"""
import argparse
import json
import sys

import grpc

from semcache.v1 import semantic_cache_pb2 as pb
from semcache.v1 import semantic_cache_pb2_grpc as rpc

HIT_NAMES = {pb.HIT_KIND_MISS: "miss", pb.HIT_KIND_EXACT: "exact", pb.HIT_KIND_SEMANTIC: "semantic"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--key", required=True, help="API key with role write")
    parser.add_argument("--model", default="gpt-4o")
    parser.add_argument("--prompt", default="What is the capital of France?")
    parser.add_argument("--response", default="Paris.")
    args = parser.parse_args()

    metadata = [("authorization", "Bearer " + args.key)]
    with grpc.insecure_channel(args.server) as channel:
        cache = rpc.SemanticCacheStub(channel)
        scope = pb.Scope(model=args.model)

        stored = cache.Store(
            pb.StoreRequest(scope=scope, prompt=args.prompt, response=args.response,
                            usage=pb.Usage(input_tokens=12, output_tokens=3, cost=0.0004),
                            tags=["example"]),
            metadata=metadata, timeout=30)
        print(json.dumps({"stored": stored.entry_id, "replaced": stored.replaced}))

        result = cache.Lookup(pb.LookupRequest(scope=scope, prompt=args.prompt),
                              metadata=metadata, timeout=5)
        hit = HIT_NAMES.get(result.kind, "miss")
        print(json.dumps({
            "hit": hit,
            "similarity": round(result.similarity, 6),
            "response": result.response if result.HasField("response") else None,
            "entryId": result.entry_id,
        }))

        try:
            cache.Lookup(pb.LookupRequest(scope=scope, prompt=args.prompt),
                         metadata=[("authorization", "Bearer not-a-key")], timeout=5)
        except grpc.RpcError as error:
            print(json.dumps({"badKey": error.code().name}))

    return 0 if hit == "exact" else 1


if __name__ == "__main__":
    sys.exit(main())
