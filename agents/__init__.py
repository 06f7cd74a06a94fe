"""The three specialist agents. Each module: instructions, agent, tools, one public function."""
