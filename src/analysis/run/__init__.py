"""The run machinery: steps, notebook execution, the runner, verify, index page, CLI, bench."""
