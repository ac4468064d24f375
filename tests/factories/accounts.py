import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User
from accounts.services import issue_pin_token

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone_number = factory.Sequence(lambda n: f"+2547{n:08d}")
    is_verified = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)
    pin_hash = factory.LazyFunction(lambda: make_password("4829"))

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


DEFAULT_PIN = "4829"


def pin_token(user) -> str:
    """A fresh single-use X-Pin-Token for `user` (whose PIN the factory set)."""
    return issue_pin_token(user=user, pin=DEFAULT_PIN)[0]
