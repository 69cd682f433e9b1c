#!/bin/sh
# Runs from the nginx image's /docker-entrypoint.d before the templates are rendered: without the
# origin-verify secret, the check in default.conf.template would compare against an empty string.
set -eu
case "${ORIGIN_VERIFY_SECRET:-}" in
  "" )
    echo "web: ORIGIN_VERIFY_SECRET is not set; it must hold the value CloudFront sends in X-Origin-Verify" >&2
    exit 1 ;;
  *[!A-Za-z0-9]* )
    echo "web: ORIGIN_VERIFY_SECRET must be letters and digits only (it is written into nginx's config)" >&2
    exit 1 ;;
esac
