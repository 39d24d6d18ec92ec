using System.CommandLine;

var root = new RootCommand("semcache: the SemCache command line. Results go to stdout as one JSON line; progress goes to stderr.");
root.Subcommands.Add(SemCache.Cli.Commands.EvalIndexCommand.Create());
return await root.Parse(args).InvokeAsync();
