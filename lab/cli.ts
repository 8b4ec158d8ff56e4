import type { Command } from 'commander';
import { registerLabCommands as registerNetLab } from './net/cli.js';
import { registerTrafficCommand } from './traffic/cli.js';

/** `chot lab`: the network lab owns the command, the traffic generator adds `traffic` to it. */
export function registerLabCommands(program: Command): Command {
  const lab = registerNetLab(program);
  registerTrafficCommand(lab);
  return lab;
}
