"""Runtime helpers baked into the pathwai.airflow_ecs Airflow image.

- ``healthcheck``: container health checks per component (``python -m airflow_ecs_image.healthcheck``)
- ``celery_config``: ``[celery] celery_config_options`` (Airflow's defaults + warm shutdown + protection)
- ``scale_in_protection``: ECS task scale-in protection while the worker runs tasks
- ``alb_auth`` / ``fab_security`` / ``webserver_config``: FAB login from the ALB's OIDC headers
"""

__version__ = "0.1.0"
