using System.CommandLine;

var root = new RootCommand("semcache: the SemCache command line. Results go to stdout as one JSON line; progress goes to stderr.");
return await root.Parse(args).InvokeAsync();
