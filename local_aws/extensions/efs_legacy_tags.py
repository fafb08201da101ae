"""EFS: the deprecated DescribeTags, CreateTags and DeleteTags.

botocore still models them: ``DescribeTags`` (GET /2015-02-01/tags/{FileSystemId}/, returns
``Tags``), ``CreateTags`` (POST /2015-02-01/create-tags/{FileSystemId}, 204) and
``DeleteTags`` (POST /2015-02-01/delete-tags/{FileSystemId}, 204), each answering
``FileSystemNotFound`` for an unknown file system. Real EFS still serves them and
community.aws.efs / efs_info call DescribeTags on every run; moto 5.2.5 has no route for
them (HTTP 404). They read and write the same tags as ListTagsForResource / TagResource.
All tags come back in one page (EFS allows at most 50 per resource).
"""

from __future__ import annotations

import json

from moto.efs import urls
from moto.efs.responses import EFSResponse

_JSON = {"Content-Type": "application/json"}


def apply() -> None:
    urls.url_paths.setdefault("/2015-02-01/tags/<file_system_id>/", urls.response.dispatch)
    urls.url_paths.setdefault("/2015-02-01/create-tags/<file_system_id>", urls.response.dispatch)
    urls.url_paths.setdefault("/2015-02-01/delete-tags/<file_system_id>", urls.response.dispatch)

    def _file_system_id(self) -> str:
        file_system_id = self._get_param("FileSystemId")
        self.efs_backend.describe_file_systems(file_system_id=file_system_id)  # FileSystemNotFound
        return file_system_id

    def describe_tags(self):
        file_system_id = _file_system_id(self)
        body = {"Tags": self.efs_backend.list_tags_for_resource(file_system_id)}
        if self._get_param("Marker"):
            body["Marker"] = self._get_param("Marker")
        return json.dumps(body), _JSON

    def create_tags(self):
        file_system_id = _file_system_id(self)
        tags = {t["Key"]: t.get("Value", "") for t in self._get_param("Tags") or []}
        self.efs_backend.tag_resource(file_system_id, tags)
        return "", {"status": 204, **_JSON}

    def delete_tags(self):
        file_system_id = _file_system_id(self)
        self.efs_backend.untag_resource(file_system_id, self._get_param("TagKeys") or [])
        return "", {"status": 204, **_JSON}

    EFSResponse.describe_tags = describe_tags
    EFSResponse.create_tags = create_tags
    EFSResponse.delete_tags = delete_tags
