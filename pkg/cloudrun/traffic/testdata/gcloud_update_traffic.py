"""Runs gcloud's own TrafficTargets.UpdateTraffic on cases read from stdin.

Used by TestPlanAgainstGcloudSDK (gcloud_sdk_test.go). Arguments: the SDK root. Each input
line is {"current": [[key, percent], ...], "assign": [[key, percent], ...]}; each output line is
{"split": {key: percent}} (targets above 0%) or {"error": message}.
"""
import json
import sys

sdk = sys.argv[1]
sys.path[0:0] = [sdk + '/lib', sdk + '/lib/third_party']

from googlecloudsdk.api_lib.run import traffic  # pylint: disable=g-import-not-at-top
from googlecloudsdk.generated_clients.apis.run.v1 import run_v1_messages as m  # pylint: disable=g-import-not-at-top

for line in sys.stdin:
  case = json.loads(line)
  targets = traffic.TrafficTargets(
      m, [traffic.NewTrafficTarget(m, k, p) for k, p in case['current']])
  try:
    targets.UpdateTraffic(dict(case['assign']))
  except Exception as e:  # pylint: disable=broad-except
    print(json.dumps({'error': str(e)}))
    continue
  split = {}
  for t in targets.MakeSerializable():
    if t.percent:
      split[traffic.GetKey(t)] = split.get(traffic.GetKey(t), 0) + t.percent
  print(json.dumps({'split': split}))
