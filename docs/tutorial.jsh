// The Keras MNIST tutorial in panama-cnn, cell by cell.
// Run all cells:  bin/panama-cnn jshell docs/tutorial.jsh      Paste them one by one:  bin/panama-cnn jshell
// TUTORIAL_EPOCHS (default 10) shortens the training cell.

// [1] Check the version (Keras: import keras; print(keras.__version__))
import dev.panamacnn.Version;
import dev.panamacnn.data.*;
import dev.panamacnn.activations.*;
import dev.panamacnn.models.*;
import dev.panamacnn.nn.*;
import dev.panamacnn.optim.*;
import dev.panamacnn.loss.*;
import dev.panamacnn.train.*;
import dev.panamacnn.tensor.*;
import dev.panamacnn.cli.Pictures;
import java.nio.file.Path;
System.out.println("[1] " + Version.describe());

// [2] Load the data (Keras: (x_train, y_train), (x_test, y_test) = mnist.load_data())
//     Mnist.load() also does the preprocessing: NHWC float32 in [0, 1] and one-hot labels (to_categorical).
Mnist mnist = Mnist.load();
Dataset train = mnist.train();
Dataset test = mnist.test();
System.out.println("[2] x_train " + train.x().shape() + ", y_train " + train.y().shape() + ", x_test " + test.x().shape() + ", y_test " + test.y().shape());

// [3] Look at a digit (Keras: plt.imshow(x_train[0]))
System.out.print(Pictures.imshow(train.slice(0, 1).x(), Path.of("x_train-0.png")));
System.out.println("[3] label of x_train[0]: " + train.label(0) + " (picture: x_train-0.png)");

// [4] Define the model
Sequential model = new Sequential(
    new Conv2D(32, 5, 5, Activation.RELU, Shape.of(28, 28, 1)),
    new MaxPool2D(2, 2),
    new Conv2D(64, 5, 5, Activation.RELU),
    new MaxPool2D(2, 2),
    new Flatten(),
    new Dense(1000, Activation.RELU),
    new Dense(10, Activation.SOFTMAX));

// [5] Compile it and print the summary
model.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
System.out.print("[5] " + model.summary());

// [6] Train (Keras: model.fit(x_train, y_train, batch_size=128, epochs=10))
int epochs = Integer.parseInt(System.getenv().getOrDefault("TUTORIAL_EPOCHS", "10"));
History history = model.fit(train, 128, epochs);
System.out.printf("[6] trained %d epochs, final training accuracy %.4f%n", history.epochs(), history.last("accuracy"));

// [7] Evaluate (Keras: score = model.evaluate(x_test, y_test))
EvalResult score = model.evaluate(test);
System.out.printf("[7] Test loss: %.4f%n[7] Test accuracy: %.4f%n", score.loss(), score.accuracy());

// [8] Save it, load it back, and check that it predicts the same
model.save(Path.of("mnist-cnn"));
Sequential loaded = Sequential.load(Path.of("mnist-cnn"));
System.out.println("[8] reloaded model predicts x_test[0..9] as " + java.util.Arrays.toString(loaded.predictClasses(test.slice(0, 10).x()))
    + ", labels " + java.util.Arrays.toString(java.util.stream.IntStream.range(0, 10).map(test::label).toArray()));
/exit
