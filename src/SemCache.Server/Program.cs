using SemCache.Server;

return await SemCacheServer.RunAsync(args, SemCacheServer.AddEmbeddedEngine);
