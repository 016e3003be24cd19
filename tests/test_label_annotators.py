"""The readers carry who drew the boxes: every Label Studio annotation of a task is a
record with its ``completed_by``; a CVAT image carries the assignee of its job / task."""
import json

from datalife.labeling.formats import cvat, label_studio
from datalife.labeling.formats.base import ImageLabels, Quarantined


def _box(x, label="raccoon"):
    return {"type": "rectanglelabels", "original_width": 200, "original_height": 100,
            "value": {"x": x, "y": 10, "width": 20, "height": 40, "rectanglelabels": [label]}}


def test_label_studio_every_annotation_with_its_annotator(tmp_path):
    tasks = [
        {"id": 7, "data": {"image": "/data/upload/1/a.jpg"}, "annotations": [
            {"id": 11, "completed_by": 3, "result": [_box(10), _box(50)]},
            {"id": 12, "completed_by": {"id": 4, "email": "bob@example.org"}, "result": [_box(12)]},
            {"id": 13, "completed_by": 5, "was_cancelled": True, "result": [_box(90)]}]},
        {"id": 8, "data": {"image": "/data/upload/1/b.jpg"}, "annotations": [
            {"id": 14, "completed_by": 3, "result": [_box(0)]}]},
        {"id": 9, "data": {"image": "/data/upload/1/c.jpg"}, "annotations": []},
        {"id": 10, "data": {"image": "/data/upload/1/d.jpg"}, "annotations": [
            {"id": 15, "completed_by": 3, "result": [_box(0)]},
            {"id": 16, "completed_by": 4, "result": [{**_box(0), "original_width": -1}]}]},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    out = label_studio.scan_file(str(path), strip_prefix="/data/upload/1/")
    good = [r for r in out if isinstance(r, ImageLabels)]
    assert [(r.file, r.record, r.annotator, len(r.boxes)) for r in good] == [
        ("a.jpg", "task 7 annotation 11", "3", 2), ("a.jpg", "task 7 annotation 12", "bob@example.org", 1),
        ("b.jpg", "task 8", "3", 1), ("c.jpg", "task 9", None, 0), ("d.jpg", "task 10 annotation 15", "3", 1)]
    # 12% of 200 px = 24 px: the percent box read back in pixels
    assert good[1].boxes.tolist() == [[24.0, 10.0, 64.0, 50.0]]
    bad = [r for r in out if isinstance(r, Quarantined)]
    assert len(bad) == 1 and (bad[0].images, bad[0].boxes) == (1, 1)
    assert "task 10 annotation 16" in str(bad[0].error) and "original_width" in str(bad[0].error)


CVAT = """<annotations><version>1.1</version>
<meta>{meta}</meta>
<image id="0" name="a.jpg" width="200" height="100" {task0}><box label="raccoon" xtl="1" ytl="2" xbr="30" ybr="40"/></image>
<image id="1" name="b.jpg" width="200" height="100" {task1}><box label="raccoon" xtl="5" ytl="6" xbr="50" ybr="60"/></image>
</annotations>"""


def test_cvat_annotator_is_the_assignee(tmp_path):
    job = CVAT.format(meta="<job><id>3</id><owner><username>boss</username></owner>"
                           "<assignee><username>alice</username></assignee></job>", task0="", task1="")
    (tmp_path / "job.xml").write_text(job)
    assert [r.annotator for r in cvat.scan_file(str(tmp_path / "job.xml"))] == ["alice", "alice"]
    project = CVAT.format(meta="<project><tasks>"
                               "<task><id>1</id><assignee><username>carol</username></assignee></task>"
                               "<task><id>2</id><owner><username>boss</username></owner></task>"
                               "</tasks></project>", task0='task_id="1"', task1='task_id="2"')
    (tmp_path / "project.xml").write_text(project)
    # the owner created the task: that says nothing of who drew the boxes
    assert [r.annotator for r in cvat.scan_file(str(tmp_path / "project.xml"))] == ["carol", None]
