using System.CommandLine;

namespace SemCache.Cli.Commands;

/// <summary>The scope options of store and lookup.</summary>
internal sealed record ScopeOptions(Option<string> Model, Option<string?> SystemPrompt)
{
    public static ScopeOptions Add(Command command)
    {
        var options = new ScopeOptions(
            new Option<string>("--model") { Description = "Model of the scope.", DefaultValueFactory = _ => "default" },
            new Option<string?>("--system-prompt") { Description = "System prompt of the scope." });
        command.Options.Add(options.Model);
        command.Options.Add(options.SystemPrompt);
        return options;
    }

    public CacheScope Scope(ParseResult parseResult) => new()
    {
        Model = parseResult.GetValue(Model) ?? "default",
        SystemPrompt = parseResult.GetValue(SystemPrompt),
    };
}
