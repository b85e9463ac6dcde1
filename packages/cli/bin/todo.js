#!/usr/bin/env node
// The `todo` command: a committed, executable entry that loads the compiled CLI, so the link npm
// makes at install time works before and after every build.
import '../dist/bin.js';
