import type { Argv } from 'yargs';
import { readProject } from '../init/project.js';
import { setUpProject, type Written } from '../init/setup.js';

const marks: Record<Written['outcome'], string> = { created: 'created    ', overwritten: 'overwritten', updated: 'updated    ', kept: 'kept       ', skipped: 'skipped    ' };

export function initCommand(cli: Argv) {
  return cli.command(
    'init',
    'Set rehearse up here: config, example bot and test, vitest, .gitignore, git drivers, CI workflow',
    (command) =>
      command
        .option('force', { type: 'boolean', default: false, describe: 'Replace files init wrote before (and you may have edited) with its own' })
        .example('$0 init', 'Write what is missing, keep what is there')
        .example('$0 init --force', 'Write every file again'),
    (args) => {
      const project = readProject(process.cwd());
      const written = setUpProject(project, args.force);
      const lines = written.map((file) => `  ${marks[file.outcome]} ${file.path.padEnd(34)} ${file.what}`);
      const kept = written.filter((file) => file.outcome === 'kept').length;
      if (kept > 0 && !args.force) lines.push('', `${kept} already there and kept as they are (--force writes init's own over them).`);
      if (project.vitestConfig) lines.push('', `${project.vitestConfig} is yours and was left alone: add setupFiles: ['agent-rehearse/vitest/setup'] to its test options for rehearse's matchers.`);
      lines.push('', 'Next:');
      if (!project.hasVitest) lines.push('  npm i -D vitest                       # the test runner the example test uses');
      lines.push(
        '  npx vitest run                        # the example test, against its mock: no key, no network',
        '  npx rehearse invoke example-bot "Hello" --mode replay   # with OPENAI_API_KEY: records once, then replays for free',
        `  git add rehearse.config.json bots test .gitignore .gitattributes .github cache`,
      );
      process.stdout.write(`rehearse init in ${project.root}\n\n${lines.join('\n')}\n`);
    },
  );
}
