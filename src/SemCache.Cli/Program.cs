using System.CommandLine;
using SemCache.Cli.Commands;

var root = new RootCommand("semcache: the SemCache command line. Results go to stdout as one JSON line; progress goes to stderr.");
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(EmbedFileCommand.Create());
root.Subcommands.Add(BenchEmbedCommand.Create());
root.Subcommands.Add(BenchSoakCommand.Create());
root.Subcommands.Add(CacheCommands.Serve());
root.Subcommands.Add(CacheCommands.Store());
root.Subcommands.Add(CacheCommands.Lookup());
root.Subcommands.Add(CacheCommands.Stats());
root.Subcommands.Add(KeysCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ReembedCommand.Create());
root.Subcommands.Add(EvalPairsCommand.Create());
root.Subcommands.Add(CalibrateCommand.Create());
root.Subcommands.Add(EvalTrafficCommand.Create());
root.Subcommands.Add(EvalIndexCommand.Create());
root.Subcommands.Add(PrefixCommand.Create());
root.Subcommands.Add(BenchKernelsCommand.Create());
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or UnauthorizedAccessException or Grpc.Core.RpcException or IOException or FormatException or System.Text.Json.JsonException)
{
    // Operator mistakes (bad option, bad key, server down, a malformed input file) get one line, not a stack trace.
    await Console.Error.WriteLineAsync("semcache: " + e.Message);
    return 2;
}
