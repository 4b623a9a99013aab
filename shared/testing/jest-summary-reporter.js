// Writes this jest run's totals, and what failed, where `npm test` collects
// them for its closing lines (CI output is often cut in the middle, so what
// failed has to be repeated at the end).
const fs = require('node:fs');
const path = require('node:path');

const MESSAGE_LINES = 12;

function firstLines(text) {
  // jest's failure messages carry ANSI colours; the summary is plain text.
  const plain = String(text).replace(/\u001b\[[0-9;]*m/g, '');
  return plain
    .split('\n')
    .filter((line) => line.trim() !== '' && !/node_modules|node:internal|new Promise \(<anonymous>\)/.test(line))
    .slice(0, MESSAGE_LINES)
    .join('\n');
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const dir = process.env.TEST_SUMMARY_DIR;
    if (!dir) return;
    const name = path.basename(process.cwd());
    const failures = [];
    for (const file of results.testResults) {
      const where = path.relative(process.cwd(), file.testFilePath);
      if (file.testExecError) failures.push({ where, test: '(suite did not run)', message: firstLines(file.testExecError.message) });
      for (const test of file.testResults) {
        if (test.status === 'failed') failures.push({ where, test: test.fullName, message: firstLines(test.failureMessages.join('\n')) });
      }
    }
    fs.writeFileSync(
      path.join(dir, `${name}-${process.pid}.json`),
      JSON.stringify({
        package: name,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests,
        failures,
      }),
    );
  }
}

module.exports = SummaryReporter;
