import { Command, CommandRunner, Option } from 'nest-commander';
import { collectDoctorReport, formatDoctorReport } from '../doctor/doctor-report';

/** Print what this installation runs on: versions, backends, paths. */
@Command({ name: 'doctor', description: 'print versions, tensor backend, database, vector store, queue and ffmpeg' })
export class DoctorCommand extends CommandRunner {
  async run(_params: string[], options: { json?: boolean }): Promise<void> {
    const report = await collectDoctorReport();
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
    if (!report.ok) process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'print one JSON object' })
  parseJson(): boolean {
    return true;
  }
}
