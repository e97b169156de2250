# nginx for docker-compose.yml: Debian 12's own nginx package, the very version that
# `make test` runs `nginx -t` with (tests/deploy/test_nginx.py), so that a configuration that
# passes there is read the same way here. The configuration is not baked in: compose mounts
# deploy/nginx/ at /etc/nginx/fairticket/, the certificates at /etc/letsencrypt and the ACME
# webroot at /var/www/certbot.
#
# The master process stays root, to bind ports 80 and 443 and to open the container's
# standard output for the access log (an unprivileged process cannot reopen it); the worker
# processes, which handle every request, run as www-data (`user` in nginx.conf).
FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && mkdir -p /var/www/certbot /etc/nginx/fairticket
EXPOSE 80 443
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS --max-time 2 -o /dev/null http://127.0.0.1/nginx-healthz || exit 1
CMD ["nginx", "-c", "/etc/nginx/fairticket/nginx.conf", "-g", "daemon off;"]
