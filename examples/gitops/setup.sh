#!/usr/bin/env bash
# Makes a bare git repository whose pushes are applied through an Atlantis manager:
#   examples/gitops/setup.sh REPO.git MANAGER_URL [SOURCE] [PATH]
# writes REPO.git/hooks/post-receive (this folder's) and REPO.git/atlantis.env (the manager's URL,
# the atlantis binary, and ATLANTIS_TOKEN if set in this environment: the hook runs
# non-interactively). Then: git clone REPO.git; put manifests under PATH/ (default deploy/);
# git push.
set -euo pipefail
repo=${1:?usage: setup.sh REPO.git MANAGER_URL [SOURCE] [PATH]}
manager=${2:?usage: setup.sh REPO.git MANAGER_URL [SOURCE] [PATH]}
here=$(cd "$(dirname "$0")" && pwd)
bin=${ATLANTIS_BIN:-$(command -v atlantis || echo "$here/../../.build/debug/atlantis")}
git init -q --bare --initial-branch=main "$repo"
install -m 0755 "$here/post-receive" "$repo/hooks/post-receive"
{
  echo "ATLANTIS_MANAGER=$manager"
  echo "ATLANTIS_BIN=$bin"
  echo "ATLANTIS_GITOPS_SOURCE=${3:-gitops}"
  echo "ATLANTIS_GITOPS_PATH=${4:-deploy}"
  [ -n "${ATLANTIS_TOKEN:-}" ] && echo "ATLANTIS_TOKEN=$ATLANTIS_TOKEN"
} >"$repo/atlantis.env"
chmod 0600 "$repo/atlantis.env"
echo "push to $repo (branch main, manifests under ${4:-deploy}/): each push is applied through $manager"
