#!/bin/bash
# Showrunner origin instance bootstrap (Amazon Linux 2023, arm64).
#
# The Origin stack renders this file into the launch template's user data
# (stacks/origin_user_data.py), preceded by six variables:
#   SHOWRUNNER_PAYLOAD   base64 of a tar.gz of nginx.conf, showrunner.conf and site/
#   SHOWRUNNER_STACK, SHOWRUNNER_RESOURCE, SHOWRUNNER_REGION
#                        where to send the CloudFormation signal (empty: send none); the region
#                        is also the Cognito endpoint's, in the site's Content-Security-Policy
#   SHOWRUNNER_VIEWER_POOL, SHOWRUNNER_VIEWER_CLIENT
#                        the Cognito user pool and app client the sign-in page uses, written to
#                        site/config.json (empty: no pool, the site cannot sign in)
# Any change to those files changes the launch template, and CloudFormation's
# rolling update replaces the instances one batch at a time.
#
# The tests run this script against a scratch directory (SHOWRUNNER_ROOT) with
# dnf, systemctl, nginx, curl and cfn-signal stubbed on PATH.
set -euo pipefail

readonly ROOT="${SHOWRUNNER_ROOT:-}"
readonly SITE_DIR="$ROOT/usr/share/nginx/showrunner"
# aws-cfn-bootstrap installs cfn-signal here; appended so that a stub earlier on PATH wins.
export PATH="$PATH:/opt/aws/bin"

log() {
  printf 'showrunner-user-data: %s\n' "$*"
}

signal_cloudformation() {
  local status=$1
  if [ -z "${SHOWRUNNER_STACK:-}" ]; then
    return 0
  fi
  cfn-signal --exit-code "$status" --stack "$SHOWRUNNER_STACK" \
    --resource "${SHOWRUNNER_RESOURCE:?}" --region "${SHOWRUNNER_REGION:?}" ||
    log "could not signal CloudFormation (status $status)"
}

install_packages() {
  log "installing nginx and aws-cfn-bootstrap"
  dnf install -y --setopt=install_weak_deps=False nginx aws-cfn-bootstrap
}

install_payload() {
  local work
  work="$(mktemp -d)"
  printf '%s' "${SHOWRUNNER_PAYLOAD:?the Origin stack sets SHOWRUNNER_PAYLOAD}" |
    base64 --decode | tar -xzf - -C "$work" --no-same-owner --no-same-permissions
  for required in nginx.conf showrunner.conf site/index.html; do
    if [ ! -f "$work/$required" ]; then
      log "payload has no $required"
      return 1
    fi
  done

  local region="${SHOWRUNNER_REGION:-}" pool="${SHOWRUNNER_VIEWER_POOL:-}" client="${SHOWRUNNER_VIEWER_CLIENT:-}"
  if [[ ! "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || [[ ! "$pool" =~ ^([a-z0-9-]+_[A-Za-z0-9]+)?$ ]] ||
    [[ ! "$client" =~ ^[a-z0-9]*$ ]]; then
    log "SHOWRUNNER_REGION, SHOWRUNNER_VIEWER_POOL or SHOWRUNNER_VIEWER_CLIENT is not a valid value"
    return 1
  fi

  log "installing the nginx configuration and the site"
  install -D -m 0644 "$work/nginx.conf" "$ROOT/etc/nginx/nginx.conf"
  sed "s/@SHOWRUNNER_REGION@/$region/g" "$work/showrunner.conf" >"$work/showrunner.installed.conf"
  install -D -m 0644 "$work/showrunner.installed.conf" "$ROOT/etc/nginx/conf.d/showrunner.conf"
  rm -rf "$SITE_DIR"
  mkdir -p "$SITE_DIR" "$ROOT/var/log/nginx" "$ROOT/var/lib/nginx/tmp"
  cp -R "$work/site/." "$SITE_DIR/"
  printf '{"region":"%s","userPoolId":"%s","clientId":"%s"}\n' "$region" "$pool" "$client" >"$SITE_DIR/config.json"
  chmod -R u=rwX,go=rX "$SITE_DIR"
  rm -rf "$work"
}

start_nginx() {
  nginx -t
  systemctl enable nginx
  systemctl restart nginx
}

wait_until_healthy() {
  local attempt
  for attempt in $(seq 1 30); do
    if curl --silent --fail --max-time 2 --output /dev/null http://127.0.0.1/healthz; then
      log "healthy after $attempt attempt(s)"
      return 0
    fi
    sleep 1
  done
  log "nginx did not answer /healthz"
  return 1
}

main() {
  trap 'signal_cloudformation $?' EXIT
  install_packages
  install_payload
  start_nginx
  wait_until_healthy
}

main "$@"
