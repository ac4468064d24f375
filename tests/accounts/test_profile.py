import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def member():
    return UserFactory()


@pytest.fixture
def client(member):
    client = APIClient()
    client.force_authenticate(user=member)
    return client


def test_me_shows_a_unique_referral_code(client, member):
    body = client.get("/api/v1/users/me/").json()
    assert len(body["referral_code"]) == 8 and body["language"] == "en"
    assert body["referral_code"] != UserFactory().referral_code


def test_patch_names_phone_and_language(client):
    response = client.patch(
        "/api/v1/users/me/", {"first_name": "Achieng", "phone_number": "+254 722 000 111", "language": "sw"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["first_name"], body["phone_number"], body["language"]) == ("Achieng", "+254722000111", "sw")


def test_phone_on_another_account_and_bad_language_are_400(client):
    UserFactory(phone_number="+254722000999")
    assert client.patch("/api/v1/users/me/", {"phone_number": "+254722000999"}).status_code == 400
    assert client.patch("/api/v1/users/me/", {"language": "fr"}).status_code == 400


def test_email_change_needs_verification_again(client, member, mailoutbox, messages_delivered):
    response = client.patch("/api/v1/users/me/", {"email": "New.Address@Example.com"})
    assert response.json()["email"] == "new.address@example.com"
    assert response.json()["is_verified"] is False
    assert mailoutbox[0].to == ["new.address@example.com"] and "verify-email?token=" in mailoutbox[0].body


def test_avatar_upload(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    upload = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    response = client.patch("/api/v1/users/me/", {"avatar": upload}, format="multipart")
    assert response.status_code == 200 and "avatars/me" in response.json()["avatar"]
    text = SimpleUploadedFile("me.txt", b"hello", content_type="text/plain")
    assert client.patch("/api/v1/users/me/", {"avatar": text}, format="multipart").status_code == 400
