// A chat application with SemCache in its IChatClient pipeline, over a deterministic fake LLM.
// Run: dotnet run --project samples/ChatWithCache
return await ChatWithCache.Demo.RunAsync(Console.Out);
