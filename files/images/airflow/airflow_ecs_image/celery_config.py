"""Celery configuration for the workers: ``[celery] celery_config_options``.

Set ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=airflow_ecs_image.celery_config.CELERY_CONFIG``.

Airflow's ``DEFAULT_CELERY_CONFIG`` (broker, result backend, TLS, ``task_acks_late=True``) plus
what warm shutdown on ECS needs:

- ``worker_prefetch_multiplier=1``: a worker holds no more messages than it has pool slots,
  so a stopping worker has nothing queued locally that another worker could have run;
- ``task_acks_late`` stays on: a message is acknowledged only when its task is done, so a
  worker killed mid-task leaves it to be redelivered instead of losing it.

Importing this module (Airflow does it when it builds its Celery app, in every process that
does) also connects the scale-in protector to the worker's main-process signals; the signals
only fire in ``airflow celery worker``.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

from airflow_ecs_image.scale_in_protection import connect_worker_signals

CELERY_CONFIG: dict = {
    **DEFAULT_CELERY_CONFIG,
    "worker_prefetch_multiplier": 1,
    "task_acks_late": True,
}

connect_worker_signals()
