# The image every Kubeflow task runs (`datalife compile kubeflow --image REGISTRY/datalife:TAG`),
# and the SDK worker image for Flink and Spark (beam.<engine>.environment_type: DOCKER,
# environment_config: the image) and Dataflow (beam.dataflow.sdk_container_image):
# datalife and its pinned stack on Python 3.11.
#
#   docker build -t REGISTRY/datalife:0.1.0 . && docker push REGISTRY/datalife:0.1.0
#
# The lock pins torch's CPU build: put its wheel in wheels/ and build with
# --build-arg FIND_LINKS=/opt/datalife/wheels (or swap the pin for a CUDA build).
# The install steps are docker/install.sh, which tests/test_image_install.py runs into a
# fresh virtualenv, checking that every module a compiled pipeline names imports there.
FROM python:3.11-slim
WORKDIR /opt/datalife
COPY . .
ARG FIND_LINKS=
RUN FIND_LINKS="$FIND_LINKS" sh docker/install.sh python3 \
 && rm -rf /root/.cache build
# Beam's SDK worker boot program, so the same image serves as the SDK container of
# Dataflow, Flink and Spark workers (Kubeflow tasks set their own command).
COPY --from=apache/beam_python3.11_sdk:2.59.0 /opt/apache/beam /opt/apache/beam
ENTRYPOINT ["/opt/apache/beam/boot"]
