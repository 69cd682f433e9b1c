"""Idle timeouts the load balancers and the servers behind them must agree on.

An Application Load Balancer keeps an idle client and target connection open for its idle timeout
(60 s by default). If the target closes a kept-alive connection first, the ALB may send the next
request on a socket the target is closing and answer 502. AWS: "we recommend that you configure the
idle timeout of your application to be larger than the idle timeout configured for the load balancer".
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
uvicorn's own `timeout_keep_alive` is 5 s, far below it, so api and ai set theirs from here.
"""

# Every ALB in front of api, ai and web (infra/foundry_infra/services/ecs.py sets it explicitly).
ALB_IDLE_TIMEOUT_SECONDS = 60
# How long api's and ai's uvicorn keep an idle connection: longer than every load balancer in front.
# The margin covers the ALB's clock and a request that arrives just as the timer runs out.
SERVER_KEEP_ALIVE_SECONDS = ALB_IDLE_TIMEOUT_SECONDS + 15
