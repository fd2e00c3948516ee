// `berth swarm-lab up | status | down`: a local multi-node Swarm for trying and testing the
// Swarm engine (src/swarm/lab/).
import type { Command } from 'commander';
import type { SwarmLabFlags } from './commands/swarm-lab.js';
import type { CliIO } from './io.js';

export function registerSwarmLabCommands(program: Command, io: CliIO): void {
  const lab = program.command('swarm-lab').description('a local multi-node Swarm: dockerd nodes in network namespaces on one bridge, with a registry');
  const dirOption = (c: Command): Command => c.option('--dir <dir>', 'lab directory (default $BERTH_SWARM_LAB_DIR or /var/lib/berth/swarm-lab)');
  dirOption(lab.command('up').description('start N dockerd nodes, form a Swarm, print the manager\'s DOCKER_HOST'))
    .option('--nodes <n>', 'how many nodes', '3')
    .option('--managers <m>', 'how many of them are managers', '1')
    .action(async (opts: SwarmLabFlags) => {
      const { runSwarmLabUp } = await import('./commands/swarm-lab.js');
      await runSwarmLabUp(opts, io);
    });
  dirOption(lab.command('status').description('list the nodes: role, state, availability, address, DOCKER_HOST; the registry; VIP support'))
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: SwarmLabFlags) => {
      const { runSwarmLabStatus } = await import('./commands/swarm-lab.js');
      await runSwarmLabStatus(opts, io);
    });
  dirOption(lab.command('down').description('stop every node and remove the lab: processes, namespaces, links, mounts, directory'))
    .option('--grace <seconds>', 'how long dockerd may take to stop before it is killed', '20')
    .action(async (opts: SwarmLabFlags) => {
      const { runSwarmLabDown } = await import('./commands/swarm-lab.js');
      await runSwarmLabDown(opts, io);
    });
}
