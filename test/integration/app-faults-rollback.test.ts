/** The fault matrix (test/support/fault-matrix.ts) of `/rollback production`: every GitHub call × every fault. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { startAppStand, type AppStand } from '../support/app-stand.ts';
import { deployments, reactions, replies, repo, rollgateRefs, settled } from '../support/app-view.ts';
import { faultMatrix, rollbackScenario } from '../support/fault-matrix.ts';

describe('/rollback production under faults', () => {
  faultMatrix(rollbackScenario);
});

describe('/rollback whose extras fail after its Deployment exists', () => {
  let s: AppStand | undefined;
  afterEach(async () => {
    await s?.close();
  });

  test('keeps the Deployment and the marker, and the reply says the check run is missing', async () => {
    s = await startAppStand({ inProcess: true });
    await rollbackScenario.prepare(s);
    // The create and the one retry after finding nothing both fail: the check run is not made.
    s.github.failNext('checks/create', { status: 500 }, 2);
    const { commentId } = await s.comment('/rollback production');
    expect((await settled(s, commentId)).sort()).toEqual(['eyes', 'rocket']);
    expect(deployments(s).filter((d) => d.viaApp && d.task === 'deploy:rollback')).toHaveLength(1);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/production']);
    expect([...repo(s).checkRuns.values()]).toEqual([]);
    expect(replies(s)).toEqual([
      expect.stringMatching(
        /rollback Deployment #\d+ created\.\n\n⚠️ The rollback goes ahead, but the check `rollgate \/ production` could not be created; the Deployment is what counts\.$/,
      ),
    ]);
    expect(reactions(s, commentId)).not.toContain('confused');
    s.github.assertNoViolations();
  });
});
