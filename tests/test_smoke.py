import json


def test_sample_upcoming_json(fw, sample):
    r = fw("upcoming", "--as-of", "2025-10-08", "--within", "120d", "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [row["call_id"] for row in rows][:2] == [
        "ssri-02-uptake-services",
        "ssri-04-open-proposals",
    ]
    assert rows[0]["at"] == "2025-11-12T17:00:00+01:00"
    assert rows[0]["days_left"] == 35
