/**
 * How the Orion application image is started. The guide shows the API command
 * (`uvicorn main:app --host 0.0.0.0 --port 8000 --workers 4`); the Celery app
 * module is the application's, named here once.
 */
export const UVICORN_APP = "main:app";
export const CELERY_APP = "app.celery_app";
/** The Celery queue (a Redis list) whose length the guide's ">100 for 10 min" threshold reads. */
export const CELERY_QUEUE = "celery";
/** The API's health endpoint: compose healthcheck and the load balancer's check. */
export const API_HEALTH_PATH = "/health";
