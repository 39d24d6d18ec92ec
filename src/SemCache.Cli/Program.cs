using System.CommandLine;
using SemCache.Cli.Commands;

var root = new RootCommand("semcache: the SemCache command line. Results go to stdout as one JSON line; progress goes to stderr.");
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(EmbedFileCommand.Create());
root.Subcommands.Add(BenchEmbedCommand.Create());
root.Subcommands.Add(EvalIndexCommand.Create());
return await root.Parse(args).InvokeAsync();
