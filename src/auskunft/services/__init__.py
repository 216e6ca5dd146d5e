"""Use cases: one function per thing a person does; web, CLI and jobs call the same ones."""
