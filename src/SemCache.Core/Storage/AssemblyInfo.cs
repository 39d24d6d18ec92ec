using System.Runtime.CompilerServices;

// The crash-test host drives the store directly, below the public API.
[assembly: InternalsVisibleTo("SemCache.CrashHost")]
